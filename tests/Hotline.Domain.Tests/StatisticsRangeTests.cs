namespace Hotline.Domain.Tests;

/// <summary>The date-range report's sums follow the hotline's zone: local days, local hours, hours of the day, regions.</summary>
public sealed class StatisticsRangeTests
{
    private static DateTimeOffset Utc(string s) => DateTimeOffset.Parse(s, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Days_and_hours_are_local_to_Beijing_and_regions_are_summed()
    {
        var stats = new HotlineStatistics { TimeZoneId = "Asia/Shanghai" };
        // 23:30 on the 27th and 00:30 on the 28th, Beijing time: two local days, though the same UTC day.
        stats.RecordArrival("wages", Utc("2026-11-27T15:30:00Z"), "xiamen");
        stats.RecordArrival("wages", Utc("2026-11-27T16:30:00Z"), "xiamen");
        stats.RecordAnswered("wages", 12, Utc("2026-11-27T16:30:12Z"), "xiamen");
        stats.RecordArrival("injury", Utc("2026-11-28T06:10:00Z"), "fuzhou");
        stats.RecordAbandoned("injury", 40, Utc("2026-11-28T06:10:40Z"), "fuzhou");
        stats.RecordClosed("wages", 300, Utc("2026-11-27T16:40:00Z"));
        stats.RecordRated("wages", 4, Utc("2026-11-27T16:41:00Z"));

        var range = StatisticsRange.Build(stats, new DateOnly(2026, 11, 28), new DateOnly(2026, 11, 28));
        Assert.Equal(2, range.Total.Arrived);
        Assert.Equal(1, range.Total.Answered);
        Assert.Equal(1, range.Total.Abandoned);
        Assert.Equal(4.0, range.Total.Satisfaction());
        Assert.Equal(new DateOnly(2026, 11, 28), Assert.Single(range.Days).Day);
        Assert.Equal(24, range.Hours.Count);
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.FromHours(8)), range.Hours[0].Hour);
        Assert.Equal(TimeSpan.FromHours(8), range.Hours[0].Hour.Offset);
        Assert.Equal(1, range.HourOfDay[0].Arrived);  // 00:30 local
        Assert.Equal(1, range.HourOfDay[14].Arrived); // 14:10 local
        Assert.Equal(1, range.Regions["xiamen"].Arrived);
        Assert.Equal(1, range.Regions["fuzhou"].Abandoned);
        Assert.Equal(["injury", "wages"], range.Categories.Keys);

        var both = StatisticsRange.Build(stats, new DateOnly(2026, 11, 27), new DateOnly(2026, 11, 28));
        Assert.Equal([1, 2], both.Days.Select(d => d.Counters.Arrived));
        Assert.Equal(48, both.Hours.Count);
        Assert.Equal(2, both.Regions["xiamen"].Arrived);
    }

    [Fact]
    public void A_half_hour_zone_has_its_hours_at_half_past_UTC()
    {
        var stats = new HotlineStatistics { TimeZoneId = "Asia/Kolkata" };
        stats.RecordArrival("wages", Utc("2026-11-27T18:45:00Z")); // 00:15 on the 28th in +5:30
        var range = StatisticsRange.Build(stats, new DateOnly(2026, 11, 28), new DateOnly(2026, 11, 28));
        Assert.Equal(1, range.Total.Arrived);
        Assert.Equal(Utc("2026-11-27T18:30:00Z"), range.Hours[0].Hour);
        Assert.Equal(1, range.Hours[0].Counters.Arrived);
        Assert.Equal(1, range.HourOfDay[0].Arrived);
    }

    [Fact]
    public void Bad_ranges_are_refused()
    {
        var stats = new HotlineStatistics();
        Assert.Throws<ArgumentException>(() => StatisticsRange.Build(stats, new DateOnly(2026, 11, 28), new DateOnly(2026, 11, 27)));
        Assert.Throws<ArgumentException>(() => StatisticsRange.Build(stats, new DateOnly(2025, 1, 1), new DateOnly(2026, 11, 27)));
    }
}
