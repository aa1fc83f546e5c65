namespace Hotline.Domain;

/// <summary>Additive counters of one category over one period (a UTC day or an hour). Serialisable POCO.</summary>
public sealed class StatCounters
{
    public int Arrived { get; set; }
    public int Answered { get; set; }
    public int Abandoned { get; set; }
    public int Closed { get; set; }
    /// <summary>Answered within 20 s.</summary>
    public int AnsweredWithin20 { get; set; }
    /// <summary>Answered within 60 s.</summary>
    public int AnsweredWithin60 { get; set; }
    /// <summary>Sum of waits of answered consultations (seconds).</summary>
    public double AnsweredWaitSeconds { get; set; }
    /// <summary>Sum of waits of abandoned consultations (seconds).</summary>
    public double AbandonedWaitSeconds { get; set; }
    /// <summary>Sum of handle times of closed consultations (seconds).</summary>
    public double HandleSeconds { get; set; }
    /// <summary>Ratings given (1..5).</summary>
    public int Rated { get; set; }
    /// <summary>Sum of the ratings given.</summary>
    public int RatingSum { get; set; }

    /// <summary>Average speed of answer (0 when nothing answered).</summary>
    public double AsaSeconds() => Answered == 0 ? 0 : AnsweredWaitSeconds / Answered;
    /// <summary>SL(20 s); 1 when nothing answered.</summary>
    public double ServiceLevel20() => Answered == 0 ? 1 : (double)AnsweredWithin20 / Answered;
    /// <summary>SL(60 s); 1 when nothing answered.</summary>
    public double ServiceLevel60() => Answered == 0 ? 1 : (double)AnsweredWithin60 / Answered;
    /// <summary>Average handle time (null when nothing closed).</summary>
    public double? AhtSeconds() => Closed == 0 ? null : HandleSeconds / Closed;
    /// <summary>Mean rating (null when nothing rated).</summary>
    public double? Satisfaction() => Rated == 0 ? null : (double)RatingSum / Rated;

    internal void Add(StatCounters o)
    {
        Arrived += o.Arrived; Answered += o.Answered; Abandoned += o.Abandoned; Closed += o.Closed;
        AnsweredWithin20 += o.AnsweredWithin20; AnsweredWithin60 += o.AnsweredWithin60;
        AnsweredWaitSeconds += o.AnsweredWaitSeconds; AbandonedWaitSeconds += o.AbandonedWaitSeconds; HandleSeconds += o.HandleSeconds;
        Rated += o.Rated; RatingSum += o.RatingSum;
    }
}

/// <summary>One hour of one category (start of the local hour, as a UTC instant). Serialisable POCO.</summary>
public sealed class HourlyBucket
{
    public DateTimeOffset HourStart { get; set; }
    public string Category { get; set; } = "";
    public StatCounters Counters { get; set; } = new();
}

/// <summary>One hour of one region (start of the local hour, as a UTC instant). Serialisable POCO.</summary>
public sealed class RegionBucket
{
    public DateTimeOffset HourStart { get; set; }
    /// <summary>Region catalog id (<c>seeds/</c>).</summary>
    public string Region { get; set; } = "";
    public StatCounters Counters { get; set; } = new();
}

/// <summary>Counters of one region over a period (today, or an hour of the report).</summary>
/// <param name="HourStart">The hour (report rows), or the day start (today's figures).</param>
public sealed record RegionStatistics(DateTimeOffset HourStart, string Region, int Arrived, int Answered, int Abandoned,
    double AsaSeconds, double ServiceLevel20);

/// <summary>A row of the hourly report.</summary>
public sealed record HourlyReportRow(DateTimeOffset HourStart, string Category, int Arrived, int Answered, int Abandoned,
    double AsaSeconds, double ServiceLevel20, double ServiceLevel60, double? AhtSeconds, int Rated = 0, double? Satisfaction = null);

/// <summary>Today's figures (the local day in <see cref="HotlineStatistics.TimeZoneId"/>) of one category, the trailing arrival rate and the Erlang C staffing advice.</summary>
/// <param name="Category">Category, or <see cref="HotlineStatistics.AllCategories"/> for the total.</param>
/// <param name="AhtSeconds">Today's AHT, null when nothing closed today.</param>
/// <param name="ArrivalsPerHour">Arrivals in the trailing window, scaled to an hour.</param>
/// <param name="RecommendedLawyers">Erlang C: fewest lawyers for 80 % answered within 20 s at that rate and AHT (default AHT when none).</param>
public sealed record CategoryStatistics(string Category, int Arrived, int Answered, int Abandoned, int Closed,
    double AsaSeconds, double ServiceLevel20, double ServiceLevel60, double? AhtSeconds, double ArrivalsPerHour, int RecommendedLawyers,
    int Rated = 0, double? Satisfaction = null);

/// <summary>
/// Pure hotline statistics: records arrivals, answers (with wait), abandons (with wait) and closes (with handle time) per category,
/// and reports today's ASA, SL(20 s), SL(60 s), AHT, the trailing arrival rate with Erlang C staffing advice, and hourly buckets.
/// </summary>
/// <remarks>
/// The object is its own durable state: public get/set properties only, System.Text.Json friendly. "Today" is the local day
/// (in <see cref="TimeZoneId"/>, default Beijing time) of the latest event: counters reset at local midnight, when an event of a
/// later local day arrives; a report for a later day shows zeros. Hourly buckets are local hours (stored as their UTC start), kept
/// for <see cref="RetentionDays"/>; arrival times for the trailing window only. Events may arrive slightly out of order.
/// </remarks>
public sealed class HotlineStatistics
{
    /// <summary>The category name of the all-categories total.</summary>
    public const string AllCategories = "*";

    /// <summary>Start (local midnight, as a UTC instant) of the day that <see cref="Today"/> counts.</summary>
    public DateTimeOffset TodayUtc { get; set; }
    /// <summary>The zone of "today" and of the hours (<c>Hotline:TimeZone</c>).</summary>
    public string TimeZoneId { get; set; } = HotlineCalendar.DefaultTimeZone;
    private TimeZoneInfo? _zone;
    private string? _zoneId;
    /// <summary>Today's counters per category.</summary>
    public Dictionary<string, StatCounters> Today { get; set; } = [];
    /// <summary>Hourly buckets, sorted by hour then category.</summary>
    public List<HourlyBucket> Hourly { get; set; } = [];
    /// <summary>Today's counters per region (consultations that named one; arrivals, answers and abandons only).</summary>
    public Dictionary<string, StatCounters> TodayByRegion { get; set; } = [];
    /// <summary>Hourly buckets per region, sorted by hour then region; kept as long as <see cref="Hourly"/>.</summary>
    public List<RegionBucket> HourlyByRegion { get; set; } = [];
    /// <summary>Arrival times per category within the trailing window.</summary>
    public Dictionary<string, List<DateTimeOffset>> RecentArrivals { get; set; } = [];
    /// <summary>How long hourly buckets are kept.</summary>
    public int RetentionDays { get; set; } = 31;
    /// <summary>Trailing window of the arrival rate.</summary>
    public double TrailingWindowSeconds { get; set; } = 900;
    /// <summary>AHT assumed for staffing advice before anything closed today.</summary>
    public double DefaultHandleSeconds { get; set; } = 300;
    /// <summary>Staffing target: share answered within <see cref="TargetThresholdSeconds"/>.</summary>
    public double TargetServiceLevel { get; set; } = 0.8;
    /// <summary>Staffing target threshold.</summary>
    public double TargetThresholdSeconds { get; set; } = 20;

    /// <summary>A consultation entered the queue.</summary>
    public void RecordArrival(string category, DateTimeOffset at, string? region = null)
    {
        Update(category, at, c => c.Arrived++, region);
        if (!RecentArrivals.TryGetValue(category, out var list)) RecentArrivals[category] = list = [];
        list.Add(at);
        PruneArrivals(at);
    }

    /// <summary>A lawyer accepted a consultation after <paramref name="waitSeconds"/> in the queue.</summary>
    public void RecordAnswered(string category, double waitSeconds, DateTimeOffset at, string? region = null)
    {
        var w = Sanitize(waitSeconds);
        Update(category, at, c =>
        {
            c.Answered++;
            c.AnsweredWaitSeconds += w;
            if (w <= 20) c.AnsweredWithin20++;
            if (w <= 60) c.AnsweredWithin60++;
        }, region);
    }

    /// <summary>A consultation left the queue unanswered after <paramref name="waitSeconds"/>.</summary>
    public void RecordAbandoned(string category, double waitSeconds, DateTimeOffset at, string? region = null)
    {
        var w = Sanitize(waitSeconds);
        Update(category, at, c => { c.Abandoned++; c.AbandonedWaitSeconds += w; }, region);
    }

    /// <summary>A consultation was closed after <paramref name="handleSeconds"/> (accepted until closed).</summary>
    public void RecordClosed(string category, double handleSeconds, DateTimeOffset at)
    {
        var h = Sanitize(handleSeconds);
        Update(category, at, c => { c.Closed++; c.HandleSeconds += h; });
    }

    /// <summary>A worker rated a consultation (1..5).</summary>
    public void RecordRated(string category, int rating, DateTimeOffset at)
    {
        var r = Math.Clamp(rating, 1, 5);
        Update(category, at, c => { c.Rated++; c.RatingSum += r; });
    }

    /// <summary>Today's figures per category (sorted by name), at <paramref name="now"/>.</summary>
    public IReadOnlyList<CategoryStatistics> Snapshot(DateTimeOffset now)
    {
        var today = Day(now) == TodayUtc;
        var cats = new SortedSet<string>(StringComparer.Ordinal);
        if (today) cats.UnionWith(Today.Keys);
        foreach (var (cat, list) in RecentArrivals) if (list.Count > 0) cats.Add(cat);
        return cats.Select(c => Build(c, today ? Today.GetValueOrDefault(c) : null, ArrivalsPerHour(c, now))).ToList();
    }

    /// <summary>Today's figures over all categories.</summary>
    public CategoryStatistics Total(DateTimeOffset now)
    {
        var sum = new StatCounters();
        if (Day(now) == TodayUtc) foreach (var c in Today.Values) sum.Add(c);
        var rate = RecentArrivals.Keys.Sum(c => ArrivalsPerHour(c, now));
        return Build(AllCategories, sum, rate);
    }

    /// <summary>Arrivals of <paramref name="category"/> in the trailing window before <paramref name="now"/>, per hour.</summary>
    public double ArrivalsPerHour(string category, DateTimeOffset now)
    {
        if (!RecentArrivals.TryGetValue(category, out var list) || TrailingWindowSeconds <= 0) return 0;
        var from = now.AddSeconds(-TrailingWindowSeconds);
        var n = list.Count(t => t > from && t <= now);
        return n * 3600.0 / TrailingWindowSeconds;
    }

    /// <summary>Today's figures per region (sorted by id), at <paramref name="now"/>; empty on a later day.</summary>
    public IReadOnlyList<RegionStatistics> RegionSnapshot(DateTimeOffset now) =>
        Day(now) != TodayUtc ? [] : TodayByRegion.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => RegionRow(TodayUtc, kv.Key, kv.Value)).ToList();

    /// <summary>Hourly rows per region with hour start in [<paramref name="from"/>, <paramref name="to"/>) (for the hourly report).</summary>
    public IReadOnlyList<RegionStatistics> RegionHourlyReport(DateTimeOffset from, DateTimeOffset to) =>
        HourlyByRegion.Where(b => b.HourStart >= from && b.HourStart < to).Select(b => RegionRow(b.HourStart, b.Region, b.Counters)).ToList();

    private static RegionStatistics RegionRow(DateTimeOffset start, string region, StatCounters c) =>
        new(start, region, c.Arrived, c.Answered, c.Abandoned, c.AsaSeconds(), c.ServiceLevel20());

    /// <summary>Hourly rows with hour start in [<paramref name="from"/>, <paramref name="to"/>), optionally one category.</summary>
    public IReadOnlyList<HourlyReportRow> HourlyReport(DateTimeOffset from, DateTimeOffset to, string? category = null) =>
        Hourly.Where(b => b.HourStart >= from && b.HourStart < to && (category is null || b.Category == category))
            .Select(b => new HourlyReportRow(b.HourStart, b.Category, b.Counters.Arrived, b.Counters.Answered, b.Counters.Abandoned,
                b.Counters.AsaSeconds(), b.Counters.ServiceLevel20(), b.Counters.ServiceLevel60(), b.Counters.AhtSeconds(),
                b.Counters.Rated, b.Counters.Satisfaction()))
            .ToList();

    private CategoryStatistics Build(string category, StatCounters? c, double perHour)
    {
        c ??= new StatCounters();
        var aht = c.AhtSeconds();
        var advice = ErlangC.ServersNeeded(perHour / 3600.0, aht ?? DefaultHandleSeconds, Math.Clamp(TargetServiceLevel, 0, 0.999999), TargetThresholdSeconds);
        return new CategoryStatistics(category, c.Arrived, c.Answered, c.Abandoned, c.Closed, c.AsaSeconds(), c.ServiceLevel20(),
            c.ServiceLevel60(), aht, perHour, advice, c.Rated, c.Satisfaction());
    }

    private void Update(string category, DateTimeOffset at, Action<StatCounters> apply, string? region = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(category);
        var day = Day(at);
        // A stored day that is not a local midnight was counted in another zone (or in UTC before): start afresh.
        if (day > TodayUtc || TodayUtc != Day(TodayUtc))
        {
            TodayUtc = day;
            Today.Clear();
            TodayByRegion.Clear();
        }
        if (day == TodayUtc)
        {
            if (!Today.TryGetValue(category, out var t)) Today[category] = t = new StatCounters();
            apply(t);
            if (region is not null)
            {
                if (!TodayByRegion.TryGetValue(region, out var r)) TodayByRegion[region] = r = new StatCounters();
                apply(r);
            }
        }
        apply(Bucket(HourOf(at), category).Counters);
        if (region is not null) apply(RegionBucketOf(HourOf(at), region).Counters);
        PruneHourly(at);
    }

    private HourlyBucket Bucket(DateTimeOffset hour, string category) =>
        FindOrInsert(Hourly, hour, category, b => b.HourStart, b => b.Category, () => new HourlyBucket { HourStart = hour, Category = category });

    private RegionBucket RegionBucketOf(DateTimeOffset hour, string region) =>
        FindOrInsert(HourlyByRegion, hour, region, b => b.HourStart, b => b.Region, () => new RegionBucket { HourStart = hour, Region = region });

    /// <summary>The bucket of (hour, key) in a list sorted by both; events mostly hit the last hour, so search from the end.</summary>
    private static T FindOrInsert<T>(List<T> list, DateTimeOffset hour, string key, Func<T, DateTimeOffset> hourOf, Func<T, string> keyOf, Func<T> create)
    {
        var i = list.Count;
        while (i > 0)
        {
            var b = list[i - 1];
            var c = hourOf(b).CompareTo(hour);
            if (c == 0) c = string.CompareOrdinal(keyOf(b), key);
            if (c == 0) return b;
            if (c < 0) break;
            i--;
        }
        var nb = create();
        list.Insert(i, nb);
        return nb;
    }

    private void PruneHourly(DateTimeOffset now)
    {
        var cutoff = HourOf(now).AddDays(-Math.Max(1, RetentionDays));
        var n = 0;
        while (n < Hourly.Count && Hourly[n].HourStart < cutoff) n++;
        if (n > 0) Hourly.RemoveRange(0, n);
        n = 0;
        while (n < HourlyByRegion.Count && HourlyByRegion[n].HourStart < cutoff) n++;
        if (n > 0) HourlyByRegion.RemoveRange(0, n);
    }

    private void PruneArrivals(DateTimeOffset now)
    {
        var cutoff = now.AddSeconds(-Math.Max(0, TrailingWindowSeconds));
        foreach (var list in RecentArrivals.Values)
            list.RemoveAll(t => t <= cutoff);
        foreach (var k in RecentArrivals.Where(kv => kv.Value.Count == 0).Select(kv => kv.Key).ToList()) RecentArrivals.Remove(k);
    }

    private static double Sanitize(double seconds) => double.IsNaN(seconds) || double.IsInfinity(seconds) || seconds < 0 ? 0 : seconds;
    private TimeZoneInfo Zone()
    {
        if (_zone is null || _zoneId != TimeZoneId)
        {
            _zone = HotlineCalendar.Zone(TimeZoneId);
            _zoneId = TimeZoneId;
        }
        return _zone;
    }

    /// <summary>Local day start of <paramref name="t"/> as a UTC instant.</summary>
    public DateTimeOffset Day(DateTimeOffset t) => HotlineCalendar.DayStart(t, Zone());
    /// <summary>Local hour start of <paramref name="t"/> as a UTC instant.</summary>
    public DateTimeOffset HourOf(DateTimeOffset t) => HotlineCalendar.HourStart(t, Zone());
}
