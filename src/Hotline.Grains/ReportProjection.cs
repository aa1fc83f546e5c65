using System.Globalization;
using Hotline.Abstractions;
using Hotline.Domain;

namespace Hotline.Grains;

/// <summary>Turns the pure <see cref="StatisticsRange"/> sums into the wire shape of the date-range report.</summary>
public static class ReportProjection
{
    public static RangeReport Build(HotlineStatistics stats, DateOnly from, DateOnly to)
    {
        var range = StatisticsRange.Build(stats, from, to);
        return new RangeReport
        {
            From = Day(range.From),
            To = Day(range.To),
            Timezone = stats.TimeZoneId,
            RetentionDays = stats.RetentionDays,
            Total = Figures(HotlineStatistics.AllCategories, range.Total),
            Days = range.Days.Select(d => Figures(Day(d.Day), d.Counters)).ToList(),
            Hours = range.Hours.Select(h => Figures(h.Hour.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture), h.Counters)).ToList(),
            HourOfDay = range.HourOfDay.Select((c, hour) => Figures(hour.ToString(CultureInfo.InvariantCulture), c)).ToList(),
            Categories = range.Categories.Select(c => Figures(c.Key, c.Value)).ToList(),
            Regions = range.Regions.Select(r => Figures(r.Key, r.Value)).ToList(),
        };
    }

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static ReportFigures Figures(string key, StatCounters c) => new()
    {
        Key = key,
        Arrived = c.Arrived,
        Answered = c.Answered,
        Abandoned = c.Abandoned,
        Closed = c.Closed,
        AverageWaitSeconds = Math.Round(c.AsaSeconds(), 1),
        ServiceLevel = Math.Round(c.ServiceLevel20(), 4),
        AverageHandleSeconds = c.AhtSeconds() is { } aht ? Math.Round(aht, 1) : null,
        Rated = c.Rated,
        Satisfaction = c.Satisfaction() is { } s ? Math.Round(s, 2) : null,
    };
}
