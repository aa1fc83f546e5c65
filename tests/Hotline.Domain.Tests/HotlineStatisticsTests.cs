namespace Hotline.Domain.Tests;

public class HotlineStatisticsTests
{
    private static readonly DateTimeOffset T = new(2025, 3, 10, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void EmptyCategory_ServiceLevelIsOne()
    {
        var s = new HotlineStatistics();
        s.RecordArrival("wage", T);
        var w = Assert.Single(s.Snapshot(T));
        Assert.Equal(1, w.Arrived);
        Assert.Equal(0, w.Answered);
        Assert.Equal(1.0, w.ServiceLevel20);
        Assert.Equal(1.0, w.ServiceLevel60);
        Assert.Equal(0, w.AsaSeconds);
        Assert.Null(w.AhtSeconds);
    }

    [Fact]
    public void AsaServiceLevelAbandonedAndAht_PerCategory()
    {
        var s = new HotlineStatistics();
        foreach (var wait in new[] { 5.0, 20, 30, 90 })
        {
            s.RecordArrival("wage", T);
            s.RecordAnswered("wage", wait, T.AddSeconds(wait));
        }
        s.RecordArrival("wage", T);
        s.RecordAbandoned("wage", 40, T.AddSeconds(40));
        s.RecordClosed("wage", 200, T.AddMinutes(5));
        s.RecordClosed("wage", 400, T.AddMinutes(6));
        s.RecordArrival("injury", T);
        s.RecordAnswered("injury", 10, T.AddSeconds(10));

        var snap = s.Snapshot(T.AddMinutes(7)).ToDictionary(c => c.Category);
        var w = snap["wage"];
        Assert.Equal(5, w.Arrived);
        Assert.Equal(4, w.Answered);
        Assert.Equal(1, w.Abandoned);
        Assert.Equal(2, w.Closed);
        Assert.Equal(36.25, w.AsaSeconds, 6);
        Assert.Equal(0.5, w.ServiceLevel20, 6);  // 5 and 20 (inclusive)
        Assert.Equal(0.75, w.ServiceLevel60, 6);
        Assert.Equal(300, w.AhtSeconds);
        Assert.Equal(1.0, snap["injury"].ServiceLevel20);
        var total = s.Total(T.AddMinutes(7));
        Assert.Equal(HotlineStatistics.AllCategories, total.Category);
        Assert.Equal(6, total.Arrived);
        Assert.Equal(5, total.Answered);
    }

    [Fact]
    public void ArrivalRate_TrailingFifteenMinutes_AndErlangAdvice()
    {
        var s = new HotlineStatistics();
        // 60 arrivals in the last 15 minutes => 240 per hour; AHT 240 s => A = 16 Erlangs.
        for (var i = 0; i < 60; i++) s.RecordArrival("wage", T.AddSeconds(i * 15));
        s.RecordClosed("wage", 240, T.AddSeconds(899));
        var now = T.AddSeconds(899);
        Assert.Equal(240, s.ArrivalsPerHour("wage", now), 6);
        var w = Assert.Single(s.Snapshot(now));
        Assert.Equal(ErlangC.ServersNeeded(240 / 3600.0, 240, 0.8, 20), w.RecommendedLawyers);
        Assert.True(w.RecommendedLawyers > 16);
        // Half an hour later, the window is empty.
        Assert.Equal(0, s.ArrivalsPerHour("wage", T.AddMinutes(45)));
        Assert.Equal(0, s.Total(T.AddMinutes(45)).RecommendedLawyers);
    }

    [Fact]
    public void Today_ResetsByUtcDay_WhenTheZoneIsUtc()
    {
        var s = new HotlineStatistics { TimeZoneId = "UTC" };
        var lateEvening = new DateTimeOffset(2025, 3, 10, 23, 59, 0, TimeSpan.Zero);
        s.RecordArrival("wage", lateEvening);
        s.RecordAnswered("wage", 10, lateEvening);
        Assert.Equal(1, s.Total(lateEvening).Answered);
        // Next UTC day (even though it is the same local day in UTC-5): reported as zeros, and reset by the next event.
        var next = new DateTimeOffset(2025, 3, 10, 20, 1, 0, TimeSpan.FromHours(-4)); // 00:01 UTC on the 11th
        Assert.Equal(0, s.Total(next).Answered);
        s.RecordArrival("wage", next);
        Assert.Equal(1, s.Total(next).Arrived);
        Assert.Equal(0, s.Total(next).Answered);
        // The hourly history keeps both days.
        var rows = s.HourlyReport(lateEvening.AddHours(-1), next.AddHours(1));
        Assert.Equal(2, rows.Count);
        Assert.Equal(new DateTimeOffset(2025, 3, 10, 23, 0, 0, TimeSpan.Zero), rows[0].HourStart);
        Assert.Equal(1, rows[0].Answered);
        Assert.Equal(new DateTimeOffset(2025, 3, 11, 0, 0, 0, TimeSpan.Zero), rows[1].HourStart);
    }

    [Fact]
    public void HourlyBuckets_PerCategory_AndBounded()
    {
        var s = new HotlineStatistics();
        for (var h = 0; h < 40 * 24; h++)
        {
            var at = T.AddHours(h).AddMinutes(10);
            s.RecordArrival("wage", at);
            s.RecordAnswered("wage", h % 2 == 0 ? 10 : 50, at);
            s.RecordArrival("injury", at);
        }
        Assert.True(s.Hourly.Count <= 2 * (31 * 24 + 1));
        Assert.True(s.Hourly.Min(b => b.HourStart) >= T.AddHours(40 * 24 - 1).AddDays(-31));
        var last = s.HourlyReport(T.AddHours(40 * 24 - 1), T.AddHours(40 * 24), "wage");
        var row = Assert.Single(last);
        Assert.Equal(1, row.Arrived);
        Assert.Equal(1, row.Answered);
        Assert.Equal(0.0, row.ServiceLevel20); // h odd => 50 s
        Assert.Equal(1.0, row.ServiceLevel60);
        Assert.Equal(50, row.AsaSeconds);
    }

    [Fact]
    public void OutOfOrderEvents_LandInTheirHour()
    {
        var s = new HotlineStatistics();
        s.RecordArrival("wage", T.AddHours(2));
        s.RecordArrival("wage", T);
        s.RecordArrival("contract", T.AddHours(1));
        Assert.Equal([T, T.AddHours(1), T.AddHours(2)], s.Hourly.Select(b => b.HourStart));
        Assert.Equal(3, s.Total(T.AddHours(2)).Arrived);
    }

    [Fact]
    public void State_RoundTripsThroughSystemTextJson()
    {
        var s = new HotlineStatistics();
        s.RecordArrival("wage", T);
        s.RecordAnswered("wage", 12, T.AddSeconds(12));
        s.RecordClosed("wage", 300, T.AddMinutes(6));
        var json = JsonSerializer.Serialize(s);
        var copy = JsonSerializer.Deserialize<HotlineStatistics>(json)!;
        Assert.Equal(json, JsonSerializer.Serialize(copy));
        Assert.Equal(s.Snapshot(T.AddMinutes(7)), copy.Snapshot(T.AddMinutes(7)));
        copy.RecordArrival("wage", T.AddMinutes(8));
        Assert.Equal(2, copy.Total(T.AddMinutes(8)).Arrived);
    }

    [Fact]
    public void Today_ResetsAtBeijingMidnight_AndHoursAreLocalHours()
    {
        var s = new HotlineStatistics(); // default zone: Asia/Shanghai (UTC+8, no daylight saving)
        var before = new DateTimeOffset(2025, 3, 10, 15, 59, 0, TimeSpan.Zero); // 23:59 Beijing on the 10th
        var after = new DateTimeOffset(2025, 3, 10, 16, 1, 0, TimeSpan.Zero);   // 00:01 Beijing on the 11th
        var morning = new DateTimeOffset(2025, 3, 10, 23, 30, 0, TimeSpan.Zero); // 07:30 Beijing on the 11th
        s.RecordAnswered("wage", 5, before);
        Assert.Equal(1, s.Total(before).Answered);
        // Not 08:00 Beijing (UTC midnight): the day turns at 00:00 Beijing.
        Assert.Equal(0, s.Total(after).Answered);
        s.RecordAnswered("wage", 5, after);
        s.RecordAnswered("wage", 5, morning);
        s.RecordRated("wage", 4, morning);
        Assert.Equal(2, s.Total(morning).Answered);
        Assert.Equal(4, s.Total(morning).Satisfaction);
        Assert.Equal(new DateTimeOffset(2025, 3, 10, 16, 0, 0, TimeSpan.Zero), s.TodayUtc);

        var rows = s.HourlyReport(before.AddHours(-1), morning.AddHours(1));
        Assert.Equal([new DateTimeOffset(2025, 3, 10, 15, 0, 0, TimeSpan.Zero), new DateTimeOffset(2025, 3, 10, 16, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2025, 3, 10, 23, 0, 0, TimeSpan.Zero)], rows.Select(r => r.HourStart));
        Assert.Equal(1, rows[2].Rated);
    }

    [Fact]
    public void Hours_FollowAZoneWithAHalfHourOffset()
    {
        var s = new HotlineStatistics { TimeZoneId = "Asia/Kolkata" }; // UTC+5:30: local hours start at hh:30 UTC
        s.RecordArrival("wage", new DateTimeOffset(2025, 3, 10, 10, 29, 0, TimeSpan.Zero)); // 15:59 local
        s.RecordArrival("wage", new DateTimeOffset(2025, 3, 10, 10, 31, 0, TimeSpan.Zero)); // 16:01 local
        var rows = s.HourlyReport(new DateTimeOffset(2025, 3, 10, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2025, 3, 11, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal([new DateTimeOffset(2025, 3, 10, 9, 30, 0, TimeSpan.Zero), new DateTimeOffset(2025, 3, 10, 10, 30, 0, TimeSpan.Zero)],
            rows.Select(r => r.HourStart));
        // Local midnight of the 10th is 18:30 UTC on the 9th.
        Assert.Equal(new DateTimeOffset(2025, 3, 9, 18, 30, 0, TimeSpan.Zero), s.TodayUtc);
    }
}
