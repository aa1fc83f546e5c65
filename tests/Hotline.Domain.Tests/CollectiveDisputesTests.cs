namespace Hotline.Domain.Tests;

public class CollectiveDisputesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 1, 0, 0, TimeSpan.Zero);

    private static CollectiveDisputes Detector(int threshold = 3, double windowDays = 14) =>
        new(new CollectiveState(), new CollectiveOptions { Threshold = threshold, WindowDays = windowDays });

    private static EmployerMention M(string consultation, string worker, string employer, DateTimeOffset at, string? region = null) => new()
    {
        ConsultationId = consultation, WorkerId = worker, EmployerKey = EmployerName.Key(employer)!, Employer = employer, Region = region, At = at,
    };

    [Fact]
    public void Three_workers_naming_one_employer_three_ways_open_one_alert()
    {
        var d = Detector();
        Assert.Null(d.Record(M("c1", "w1", "厦门ＡＢＣ电子有限公司", T0, "xiamen"), T0));
        Assert.Null(d.Record(M("c2", "w2", "厦门 ABC 电子", T0.AddDays(3), "xiamen"), T0.AddDays(3)));
        var alert = d.Record(M("c3", "w3", "厦门abc电子有限责任公司", T0.AddDays(5)), T0.AddDays(5));

        Assert.NotNull(alert);
        Assert.Equal(AlertStatus.Open, alert.Status);
        Assert.Equal(["c1", "c2", "c3"], alert.ConsultationIds);
        Assert.Equal(3, alert.WorkerIds.Count);
        Assert.Equal("厦门ＡＢＣ电子有限公司", alert.Employer);
        Assert.Equal("xiamen", alert.Region);
        Assert.Equal(T0, alert.FirstAt);
        Assert.Equal(T0.AddDays(5), alert.LastAt);

        // A fourth joins the same alert.
        var joined = d.Record(M("c4", "w4", "厦门ABC电子", T0.AddDays(6)), T0.AddDays(6));
        Assert.Same(alert, joined);
        Assert.Single(d.List(null));
        Assert.Equal(4, alert.ConsultationIds.Count);
        Assert.Equal(3, d.RelatedCount(alert.EmployerKey, "c4", T0.AddDays(6)));
    }

    [Fact]
    public void One_worker_three_times_opens_nothing()
    {
        var d = Detector();
        for (var i = 0; i < 3; i++) Assert.Null(d.Record(M($"c{i}", "w1", "厦门ABC电子", T0.AddHours(i)), T0.AddHours(i)));
        Assert.Empty(d.List(null));
        // ...but the lawyer still sees the two other consultations.
        Assert.Equal(2, d.RelatedCount(EmployerName.Key("厦门ABC电子"), "c2", T0.AddHours(2)));
    }

    [Fact]
    public void Mentions_outside_the_window_do_not_count()
    {
        var d = Detector(windowDays: 14);
        d.Record(M("c1", "w1", "泉州鞋业", T0), T0);
        d.Record(M("c2", "w2", "泉州鞋业", T0.AddDays(10)), T0.AddDays(10));
        Assert.Null(d.Record(M("c3", "w3", "泉州鞋业", T0.AddDays(15)), T0.AddDays(15))); // c1 fell out
        Assert.NotNull(d.Record(M("c4", "w4", "泉州鞋业", T0.AddDays(16)), T0.AddDays(16)));
        Assert.DoesNotContain(d.State.Mentions, m => m.ConsultationId == "c1");
    }

    [Fact]
    public void A_retried_consultation_counts_once()
    {
        var d = Detector(threshold: 2);
        d.Record(M("c1", "w1", "宁德电池", T0), T0);
        Assert.Null(d.Record(M("c1", "w1", "宁德电池", T0), T0));
        Assert.Empty(d.List(null));
    }

    [Fact]
    public void Acknowledge_then_close_and_only_new_mentions_reopen()
    {
        var d = Detector(threshold: 2);
        d.Record(M("c1", "w1", "龙岩矿业", T0), T0);
        var alert = d.Record(M("c2", "w2", "龙岩矿业", T0.AddHours(1)), T0.AddHours(1))!;
        Assert.Equal(AlertStatus.Acknowledged, d.Acknowledge(alert.Id, "admin", T0.AddHours(2)).Alert!.Status);
        Assert.Same(alert, d.Record(M("c3", "w3", "龙岩矿业", T0.AddHours(3)), T0.AddHours(3))); // joins while acknowledged
        Assert.Equal(AlertStatus.Closed, d.Close(alert.Id, "admin", T0.AddHours(4))!.Status);
        Assert.Equal("the alert is closed", d.Acknowledge(alert.Id, "admin", T0.AddHours(5)).Error);
        Assert.Null(d.Acknowledge("al-nope", "admin", T0).Alert);

        // The old mentions are still in the window, but a new alert needs new workers after the close.
        Assert.Null(d.Record(M("c5", "w1", "龙岩矿业", T0.AddHours(5)), T0.AddHours(5)));
        var second = d.Record(M("c6", "w5", "龙岩矿业", T0.AddHours(6)), T0.AddHours(6));
        Assert.NotNull(second);
        Assert.NotEqual(alert.Id, second.Id);
        Assert.Equal(["c5", "c6"], second.ConsultationIds);
        Assert.Single(d.List(AlertStatus.Open));
        Assert.Single(d.List(AlertStatus.Closed));
    }

    [Fact]
    public void State_round_trips_through_json()
    {
        var d = Detector(threshold: 2);
        d.Record(M("c1", "w1", "南平茶业", T0, "nanping"), T0);
        d.Record(M("c2", "w2", "南平茶业", T0), T0);
        var copy = JsonSerializer.Deserialize<CollectiveState>(JsonSerializer.Serialize(d.State))!;
        var again = new CollectiveDisputes(copy, new CollectiveOptions { Threshold = 2 });
        var alert = Assert.Single(again.List(AlertStatus.Open));
        Assert.Equal("nanping", alert.Region);
        Assert.Equal(1, again.RelatedCount(alert.EmployerKey, "c1", T0));
    }

    [Fact]
    public void A_forgotten_consultation_leaves_its_mention_and_alerts_but_the_alert_keeps_its_worker_count()
    {
        var d = Detector();
        d.Record(M("c1", "w1", "厦门ＡＢＣ电子有限公司", T0.AddHours(3), "fuzhou"), T0.AddHours(3));
        d.Record(M("c2", "w2", "厦门 ABC 电子", T0.AddDays(1), "xiamen"), T0.AddDays(1));
        var alert = d.Record(M("c3", "w3", "厦门abc电子", T0.AddDays(2).AddHours(5)), T0.AddDays(2).AddHours(5))!;
        d.Record(M("c9", "w9", "泉州鞋业", T0.AddDays(2)), T0.AddDays(2));
        Assert.Equal("厦门ＡＢＣ电子有限公司", alert.Employer);
        Assert.Equal("fuzhou", alert.Region); // one each: the first by name

        var changed = d.Forget("c1", "w1", T0.AddDays(3));

        Assert.Same(alert, Assert.Single(changed));
        Assert.DoesNotContain(d.State.Mentions, m => m.ConsultationId == "c1" || m.WorkerId == "w1");
        Assert.Equal(["c2", "c3"], alert.ConsultationIds);
        Assert.Equal(["xiamen", null], alert.Regions);
        Assert.DoesNotContain("w1", alert.WorkerIds);
        Assert.Equal(3, alert.WorkerIds.Count); // still three workers named the employer
        Assert.Equal("厦门 ABC 电子", alert.Employer); // the next consultation's spelling, not the erased worker's
        Assert.Equal("xiamen", alert.Region); // the erased consultation's region no longer counts
        // The first and last instants were the first and last consultations' own: now only their days.
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 0, 0, 0, TimeSpan.Zero), alert.FirstAt);
        Assert.Equal(new DateTimeOffset(2026, 3, 4, 0, 0, 0, TimeSpan.Zero), alert.LastAt);
        Assert.Equal(1, d.RelatedCount(alert.EmployerKey, "c2", T0.AddDays(3)));
        Assert.Equal(["c3"], d.Related(alert.EmployerKey, "c2", T0.AddDays(3)));

        // A second erased worker gets a placeholder of its own; an unknown consultation changes nothing.
        d.Forget("c2", "w2", T0.AddDays(3));
        Assert.Equal(3, alert.WorkerIds.Distinct().Count());
        Assert.Equal(["w3"], alert.WorkerIds.Where(w => !w.StartsWith(CollectiveDisputes.ErasedWorker, StringComparison.Ordinal)));
        Assert.Empty(d.Forget("c404", "w404", T0.AddDays(3)));
        Assert.Equal(2, d.State.Mentions.Count);
    }

    [Fact]
    public void An_alert_whose_first_mention_left_the_window_shows_the_key_once_its_first_consultation_is_forgotten()
    {
        var d = Detector(windowDays: 14);
        d.Record(M("c1", "w1", "泉州鞋业", T0), T0);
        d.Record(M("c2", "w2", "泉州 鞋业", T0.AddDays(1)), T0.AddDays(1));
        var alert = d.Record(M("c3", "w3", "泉州鞋业有限公司", T0.AddDays(2)), T0.AddDays(2))!;

        // Weeks later every mention is outside the window: no spelling is left to show but the normalised key.
        d.Forget("c1", "w1", T0.AddDays(40));
        Assert.Empty(d.State.Mentions);
        Assert.Equal(alert.EmployerKey, alert.Employer);
        Assert.Equal(["c2", "c3"], alert.ConsultationIds);
    }
}
