using Hotline.Abstractions;
using Hotline.Domain;
using HourlyRow = Hotline.Abstractions.HourlyReportRow;

namespace Hotline.Grains;

/// <summary>Joins today's statistics with the router's live load into the contract's <see cref="MetricsSnapshot"/>.</summary>
public static class MetricsProjection
{
    public static MetricsSnapshot Build(HotlineStatistics stats, RouterLoad load, DateTimeOffset now, int silos)
    {
        var queues = Join(stats.Snapshot(now), c => c.Category, load.Categories, (category, t, l) =>
            new QueueMetrics
            {
                Category = category,
                Waiting = l?.Waiting ?? 0,
                Offered = l?.Offered ?? 0,
                OldestWaitSeconds = l?.OldestWaitSeconds ?? 0,
                AverageWaitSeconds = Math.Round(t?.AsaSeconds ?? 0, 1),
                ServiceLevel = Math.Round(t?.ServiceLevel20 ?? 1, 4),
                ServiceLevel60 = Math.Round(t?.ServiceLevel60 ?? 1, 4),
                Answered = t?.Answered ?? 0,
                Abandoned = t?.Abandoned ?? 0,
                AverageHandleSeconds = Math.Round(t?.AhtSeconds ?? 0, 1),
                ArrivalsPerHour = Math.Round(t?.ArrivalsPerHour ?? 0, 1),
                LawyersNeeded = t?.RecommendedLawyers ?? 0,
                Rated = t?.Rated ?? 0,
                Satisfaction = t?.Satisfaction is { } sat ? Math.Round(sat, 2) : null,
            });
        var total = stats.Total(now);
        return new MetricsSnapshot
        {
            At = now,
            Queues = queues,
            Lawyers = load.Lawyers,
            Consultations = new ConsultationCounts
            {
                Queued = load.Categories.Sum(c => c.Waiting),
                Offered = load.Categories.Sum(c => c.Offered),
                Active = load.LawyerStates.Sum(l => l.Active),
                ClosedToday = total.Closed,
            },
            Silos = silos,
            Regions = Regions(stats, load, now),
        };
    }

    /// <summary>Every region with live load or figures today, sorted by id.</summary>
    private static List<RegionMetrics> Regions(HotlineStatistics stats, RouterLoad load, DateTimeOffset now)
    {
        return Join(stats.RegionSnapshot(now), r => r.Region, load.Regions, (region, t, l) =>
            new RegionMetrics
            {
                Region = region,
                Waiting = l?.Waiting ?? 0,
                Offered = l?.Offered ?? 0,
                OldestWaitSeconds = l?.OldestWaitSeconds ?? 0,
                Arrived = t?.Arrived ?? 0,
                Answered = t?.Answered ?? 0,
                Abandoned = t?.Abandoned ?? 0,
                AverageWaitSeconds = Math.Round(t?.AsaSeconds ?? 0, 1),
                ServiceLevel = Math.Round(t?.ServiceLevel20 ?? 1, 4),
            });
    }

    /// <summary>Today's figures joined with the live load by key (category or region): every key of either, sorted.</summary>
    private static List<TOut> Join<TToday, TOut>(IEnumerable<TToday> todayRows, Func<TToday, string> keyOf, IEnumerable<CategoryLoad> liveRows,
        Func<string, TToday?, CategoryLoad?, TOut> build) where TToday : class
    {
        var today = todayRows.ToDictionary(keyOf);
        var live = liveRows.ToDictionary(c => c.Category);
        return today.Keys.Union(live.Keys).Order(StringComparer.Ordinal)
            .Select(key => build(key, today.GetValueOrDefault(key), live.GetValueOrDefault(key)))
            .ToList();
    }

    public static IReadOnlyList<HourlyRow> Hourly(HotlineStatistics stats, DateTimeOffset from, DateTimeOffset to)
        => stats.HourlyReport(from, to).Select(r => new HourlyRow
        {
            Hour = r.HourStart,
            Category = r.Category,
            Arrived = r.Arrived,
            Answered = r.Answered,
            Abandoned = r.Abandoned,
            AverageWaitSeconds = Math.Round(r.AsaSeconds, 2),
            ServiceLevel20 = Math.Round(r.ServiceLevel20, 4),
            ServiceLevel60 = Math.Round(r.ServiceLevel60, 4),
            AverageHandleSeconds = Math.Round(r.AhtSeconds ?? 0, 2),
            Rated = r.Rated,
            Satisfaction = r.Satisfaction is { } sat ? Math.Round(sat, 2) : null,
        }).ToList();
}
