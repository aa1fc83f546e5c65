namespace Hotline.Domain.Tests;

/// <summary>Issue 12, item 6: per-region counters beside the per-category ones (today and hourly), for the metrics and the report.</summary>
public class RegionStatisticsTests
{
    // 09:00 UTC = 17:00 in Beijing: the local day runs until 16:00 UTC.
    private static readonly DateTimeOffset T = new(2025, 3, 10, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Regions_count_arrivals_answers_and_abandons_of_the_consultations_that_name_one()
    {
        var s = new HotlineStatistics();
        s.RecordArrival("wage", T, "xiamen");
        s.RecordAnswered("wage", 10, T.AddSeconds(10), "xiamen");
        s.RecordArrival("injury", T, "xiamen");
        s.RecordAnswered("injury", 50, T.AddSeconds(50), "xiamen");
        s.RecordArrival("wage", T, "fuzhou");
        s.RecordAbandoned("wage", 30, T.AddSeconds(30), "fuzhou");
        s.RecordArrival("wage", T); // no region: counted per category only

        var regions = s.RegionSnapshot(T.AddMinutes(1));
        Assert.Equal(["fuzhou", "xiamen"], regions.Select(r => r.Region));
        var xm = regions[1];
        Assert.Equal((2, 2, 0), (xm.Arrived, xm.Answered, xm.Abandoned));
        Assert.Equal(30, xm.AsaSeconds, 6);
        Assert.Equal(0.5, xm.ServiceLevel20, 6);
        var fz = regions[0];
        Assert.Equal((1, 0, 1), (fz.Arrived, fz.Answered, fz.Abandoned));
        Assert.Equal(1.0, fz.ServiceLevel20);
        // The categories still count everything.
        Assert.Equal(3, s.Snapshot(T.AddMinutes(1)).Single(c => c.Category == "wage").Arrived);
    }

    [Fact]
    public void Regions_reset_at_local_midnight_and_keep_their_hours_for_the_report()
    {
        var s = new HotlineStatistics();
        s.RecordArrival("wage", T, "quanzhou");
        s.RecordArrival("wage", T.AddHours(1), "quanzhou");
        var nextDay = T.AddHours(8); // 17:00 UTC = 01:00 the next day in Beijing
        Assert.Empty(s.RegionSnapshot(nextDay));
        s.RecordArrival("wage", nextDay, "ningde");
        Assert.Equal("ningde", Assert.Single(s.RegionSnapshot(nextDay)).Region);

        var rows = s.RegionHourlyReport(T.AddDays(-1), T.AddDays(1));
        Assert.Equal([(T, "quanzhou", 1), (T.AddHours(1), "quanzhou", 1), (nextDay, "ningde", 1)], rows.Select(r => (r.HourStart, r.Region, r.Arrived)));
    }

    [Fact]
    public void Region_counters_survive_a_json_round_trip()
    {
        var s = new HotlineStatistics();
        s.RecordArrival("wage", T, "longyan");
        s.RecordAnswered("wage", 5, T.AddSeconds(5), "longyan");
        var back = JsonSerializer.Deserialize<HotlineStatistics>(JsonSerializer.Serialize(s))!;
        var r = Assert.Single(back.RegionSnapshot(T.AddMinutes(1)));
        Assert.Equal(("longyan", 1, 1), (r.Region, r.Arrived, r.Answered));
        Assert.Single(back.RegionHourlyReport(T.AddHours(-1), T.AddHours(1)));
    }
}
