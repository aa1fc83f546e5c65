namespace Hotline.Domain;

/// <summary>
/// Sums of the hourly buckets over a range of local days (admin date-range report, issue 11 item 7): the total, each
/// day, each local hour (every hour of the range, empty ones included, for the history chart), the 24 hours of the day
/// (the profile that staffing plans follow), each category and each region. Days and hours are local to
/// <see cref="HotlineStatistics.TimeZoneId"/>; only what the buckets still hold (<see cref="HotlineStatistics.RetentionDays"/>) is counted.
/// </summary>
public sealed class StatisticsRange
{
    /// <summary>The longest range a report covers, in days.</summary>
    public const int MaxDays = 366;

    public required DateOnly From { get; init; }
    public required DateOnly To { get; init; }
    public StatCounters Total { get; } = new();
    /// <summary>Each local day of the range, in order.</summary>
    public List<(DateOnly Day, StatCounters Counters)> Days { get; } = [];
    /// <summary>Each local hour of the range (its start, with the zone's offset then), in order.</summary>
    public List<(DateTimeOffset Hour, StatCounters Counters)> Hours { get; } = [];
    /// <summary>Index 0..23: the local hour of the day, summed over the range.</summary>
    public StatCounters[] HourOfDay { get; } = Enumerable.Range(0, 24).Select(_ => new StatCounters()).ToArray();
    /// <summary>Per category (ordinal order).</summary>
    public SortedDictionary<string, StatCounters> Categories { get; } = new(StringComparer.Ordinal);
    /// <summary>Per region named at intake (arrivals, answers, abandons; ordinal order).</summary>
    public SortedDictionary<string, StatCounters> Regions { get; } = new(StringComparer.Ordinal);

    /// <summary>The sums over local days <paramref name="from"/>..<paramref name="to"/> (both included).</summary>
    public static StatisticsRange Build(HotlineStatistics stats, DateOnly from, DateOnly to)
    {
        if (to < from) throw new ArgumentException("the range ends before it starts");
        if (to.DayNumber - from.DayNumber + 1 > MaxDays) throw new ArgumentException($"a range covers at most {MaxDays} days");
        var zone = HotlineCalendar.Zone(stats.TimeZoneId);
        var start = HotlineCalendar.LocalToUtc(from.ToDateTime(TimeOnly.MinValue), zone);
        var end = HotlineCalendar.LocalToUtc(to.AddDays(1).ToDateTime(TimeOnly.MinValue), zone);
        var range = new StatisticsRange { From = from, To = to };

        var days = new SortedDictionary<DateOnly, StatCounters>();
        for (var d = from; d <= to; d = d.AddDays(1)) days[d] = new StatCounters();
        var hours = new SortedDictionary<DateTimeOffset, StatCounters>();
        for (var h = start; h < end; h = h.AddHours(1)) hours[HotlineCalendar.HourStart(h, zone)] = new StatCounters();

        foreach (var b in stats.Hourly)
        {
            if (b.HourStart < start || b.HourStart >= end) continue;
            var local = TimeZoneInfo.ConvertTime(b.HourStart, zone);
            range.Total.Add(b.Counters);
            days[DateOnly.FromDateTime(local.DateTime)].Add(b.Counters);
            if (!hours.TryGetValue(b.HourStart, out var hour)) hours[b.HourStart] = hour = new StatCounters();
            hour.Add(b.Counters);
            range.HourOfDay[local.Hour].Add(b.Counters);
            if (!range.Categories.TryGetValue(b.Category, out var category)) range.Categories[b.Category] = category = new StatCounters();
            category.Add(b.Counters);
        }
        foreach (var b in stats.HourlyByRegion)
        {
            if (b.HourStart < start || b.HourStart >= end) continue;
            if (!range.Regions.TryGetValue(b.Region, out var region)) range.Regions[b.Region] = region = new StatCounters();
            region.Add(b.Counters);
        }
        range.Days.AddRange(days.Select(kv => (kv.Key, kv.Value)));
        range.Hours.AddRange(hours.Select(kv => (TimeZoneInfo.ConvertTime(kv.Key, zone), kv.Value)));
        return range;
    }
}
