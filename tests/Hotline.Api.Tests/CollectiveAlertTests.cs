namespace Hotline.Api.Tests;

/// <summary>Issue 12: regions and employer at intake, collective-dispute alerts, relatedCount.</summary>
[Collection(MainCollection.Name)]
public sealed class CollectiveAlertTests(HotlineHost host)
{
    private static readonly TimeSpan Wait = TestKit.Wait;

    /// <summary>A made-up company name part no other test uses (Latin letters, so it has a full-width form).</summary>
    private static string Tag() => "Q" + string.Concat(Guid.NewGuid().ToString("N")[..6].Select(c => (char)('a' + c % 26)));

    private static string FullWidth(string s) => new(s.Select(c => c is > ' ' and <= '~' ? (char)(c - 0x21 + 0xFF01) : c).ToArray());

    [Fact]
    public async Task Catalog_lists_fujians_cities_and_pingtan()
    {
        await using var kit = new TestKit(host);
        using var doc = JsonDocument.Parse((await kit.Raw(HttpMethod.Get, "/api/catalog")).Body);
        var regions = doc.RootElement.GetProperty("regions").EnumerateArray().ToList();
        Assert.Equal(["fuzhou", "xiamen", "putian", "sanming", "quanzhou", "zhangzhou", "nanping", "longyan", "ningde", "pingtan"],
            regions.Select(r => r.GetProperty("id").GetString()));
        Assert.All(regions, r => Assert.Equal(["id", "name", "nameZh"], r.EnumerateObject().Select(p => p.Name)));
        Assert.Contains(regions, r => r.GetProperty("nameZh").GetString() == "厦门市" && r.GetProperty("name").GetString() == "Xiamen");
    }

    [Fact]
    public async Task Employer_and_region_are_optional_validated_and_shown_on_both_intake_paths()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var worker = await kit.Worker(connect: false);

        var plain = await kit.Open(worker, category, dialect);
        Assert.Null(plain.Employer);
        Assert.Null(plain.Region);
        Assert.Null(plain.RelatedCount);

        var named = await kit.Rest.OpenConsultation(worker.Token, category, dialect, "拖欠工资", employer: "  厦门 ABC 电子 ", region: "xiamen");
        Assert.Equal("厦门 ABC 电子", named.Employer);
        Assert.Equal("xiamen", named.Region);
        Assert.Null(named.RelatedCount); // the worker never sees it

        foreach (var body in new object[]
                 {
                     new { category, dialect, summary = "x", employer = new string('厂', 101) },
                     new { category, dialect, summary = "x", region = "shenzhen" },
                     new { category, dialect, summary = "x", employer = "ABC\u0001" },
                 })
        {
            var r = await kit.Raw(HttpMethod.Post, "/api/consultations", worker.Token, body);
            Assert.Equal(HttpStatusCode.BadRequest, r.Status);
            Assert.Equal("validation_failed", TestKit.ProblemCode(r.Body));
        }

        // The gateway path shares the validation.
        var call = await kit.Raw(HttpMethod.Post, "/api/hotline/calls", json: new { callerNumber = "13800000077", category, dialect, employer = "泉州鞋业有限公司", region = "quanzhou" },
            apiKey: HotlineHost.GatewayKey);
        Assert.Equal(HttpStatusCode.Created, call.Status);
        using (var doc = JsonDocument.Parse(call.Body))
        {
            Assert.Equal("泉州鞋业有限公司", doc.RootElement.GetProperty("employer").GetString());
            Assert.Equal("quanzhou", doc.RootElement.GetProperty("region").GetString());
        }
        var bad = await kit.Raw(HttpMethod.Post, "/api/hotline/calls", json: new { callerNumber = "13800000078", category, dialect, region = "taipei" }, apiKey: HotlineHost.GatewayKey);
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.Equal("validation_failed", TestKit.ProblemCode(bad.Body));
    }

    [Fact]
    public async Task Three_workers_naming_one_employer_three_ways_open_one_alert_that_admins_hear_and_manage()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var admin = await kit.AdminToken();
        var wall = await kit.Start(HotlineConnection.Admin(kit.BaseUrl, admin));
        var tag = Tag();
        string[] spellings = [$"厦门{FullWidth(tag.ToUpperInvariant())}电子有限公司", $"厦门 {tag.ToUpperInvariant()} 电子", $"厦门{tag.ToLowerInvariant()}电子有限责任公司"];

        var ids = new List<string>();
        foreach (var (spelling, i) in spellings.Select((s, i) => (s, i)))
        {
            var worker = await kit.Worker(connect: false);
            var c = await kit.Rest.OpenConsultation(worker.Token, category, dialect, "三个月没发工资", employer: spelling, region: i == 2 ? null : "xiamen");
            ids.Add(c.Id);
            if (i < 2) Assert.DoesNotContain(await kit.Rest.GetAlerts(admin), a => a.ConsultationIds.Contains(c.Id));
        }

        var alert = Assert.Single(await kit.Rest.GetAlerts(admin), a => a.ConsultationIds.Intersect(ids).Any());
        Assert.Equal(ids, alert.ConsultationIds);
        Assert.Equal(3, alert.Workers);
        Assert.Equal("open", alert.Status);
        Assert.Equal(spellings[0], alert.Employer);
        Assert.Equal("xiamen", alert.Region);
        Assert.True(alert.FirstAt <= alert.LastAt);
        var pushed = await wall.Alerts.WaitAsync(a => a.Id == alert.Id, Wait);
        Assert.Equal("open", pushed.Status);
        Assert.Equal(3, pushed.Workers);
        Assert.Contains(await kit.Rest.GetAlerts(admin, "open"), a => a.Id == alert.Id);
        Assert.DoesNotContain(await kit.Rest.GetAlerts(admin, "closed"), a => a.Id == alert.Id);

        // The panel's links: metadata with relatedCount, no summary.
        var related = await kit.Rest.Send<IReadOnlyList<Consultation>>(HttpMethod.Get, $"/api/admin/alerts/{alert.Id}/consultations", admin);
        Assert.Equal(ids.OrderBy(x => x), related.Select(c => c.Id).OrderBy(x => x));
        Assert.All(related, c => { Assert.Equal(2, c.RelatedCount); Assert.Equal("", c.Summary); });
        // Nothing the worker wrote or was told: the employer as they spelled it, their name, advice and rating are blank.
        var raw = await kit.Rest.Send<IReadOnlyList<JsonElement>>(HttpMethod.Get, $"/api/admin/alerts/{alert.Id}/consultations", admin);
        Assert.All(raw, c =>
        {
            foreach (var field in new[] { "employer", "workerName", "advice", "rating", "callbackNumber", "callAttempts" })
                Assert.Equal(JsonValueKind.Null, c.GetProperty(field).ValueKind);
        });

        var acknowledged = await kit.Rest.AlertAction(admin, alert.Id, "acknowledge");
        Assert.Equal("acknowledged", acknowledged.Status);
        await wall.Alerts.WaitAsync(a => a.Id == alert.Id && a.Status == "acknowledged", Wait);
        Assert.Equal("acknowledged", (await kit.Rest.AlertAction(admin, alert.Id, "acknowledge")).Status); // idempotent
        var closed = await kit.Rest.AlertAction(admin, alert.Id, "close");
        Assert.Equal("closed", closed.Status);
        await wall.Alerts.WaitAsync(a => a.Id == alert.Id && a.Status == "closed", Wait);
        Assert.Contains(await kit.Rest.GetAlerts(admin, "closed"), a => a.Id == alert.Id);
        Assert.Equal((409, "conflict"), await TestKit.RestError(() => kit.Rest.AlertAction(admin, alert.Id, "acknowledge")));
        Assert.Equal((404, "not_found"), await TestKit.RestError(() => kit.Rest.AlertAction(admin, "al-999999", "close")));
        Assert.Equal((400, "validation_failed"), await TestKit.RestError(() => kit.Rest.AlertAction(admin, "nope", "close")));
        Assert.Equal((400, "validation_failed"), await TestKit.RestError(() => kit.Rest.GetAlerts(admin, "pending")));
        var worker4 = await kit.Worker(connect: false);
        Assert.Equal(HttpStatusCode.Forbidden, (await kit.Raw(HttpMethod.Get, "/api/admin/alerts", worker4.Token)).Status);
    }

    [Fact]
    public async Task A_worker_who_erases_leaves_the_alert_with_its_count_but_without_their_consultation_or_spelling()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var admin = await kit.AdminToken();
        var wall = await kit.Start(HotlineConnection.Admin(kit.BaseUrl, admin));
        var tag = Tag();
        // The first spelling, the alert's name, is the erased worker's alone (full-width letters).
        string[] spellings = [$"漳州{FullWidth(tag.ToUpperInvariant())}食品有限公司", $"漳州 {tag.ToUpperInvariant()} 食品", $"漳州{tag.ToLowerInvariant()}食品"];
        var workers = new List<TestWorker>();
        var ids = new List<string>();
        foreach (var spelling in spellings)
        {
            var worker = await kit.Worker(connect: false);
            workers.Add(worker);
            ids.Add((await kit.Rest.OpenConsultation(worker.Token, category, dialect, "欠薪", employer: spelling, region: "zhangzhou")).Id);
        }
        var alert = Assert.Single(await kit.Rest.GetAlerts(admin), a => a.ConsultationIds.Intersect(ids).Any());
        Assert.Equal(spellings[0], alert.Employer);
        // Looked for as UTF-8 and as JSON escapes it (the store's encoder writes non-ASCII letters as \uXXXX).
        var letters = FullWidth(tag.ToUpperInvariant());
        async Task<bool> Stored() => await DataFiles.Contain(host.DataPath, letters, utf16Too: true) || await DataFiles.Contain(host.DataPath, JsonSerializer.Serialize(letters)[1..^1]);
        Assert.True(await Stored(), "the first spelling is in no file: the scan below would prove nothing");

        Assert.Equal(HttpStatusCode.NoContent, (await kit.Raw(HttpMethod.Delete, "/api/workers/me", workers[0].Token)).Status);

        // Admins hear the change: the alert still counts three workers, no longer lists the erased consultation, and is
        // named as the next worker wrote it.
        var pushed = await wall.Alerts.WaitAsync(a => a.Id == alert.Id && !a.ConsultationIds.Contains(ids[0]), Wait);
        Assert.Equal(3, pushed.Workers);
        Assert.Equal(ids.Skip(1), pushed.ConsultationIds);
        Assert.Equal(spellings[1], pushed.Employer);
        var now = Assert.Single(await kit.Rest.GetAlerts(admin), a => a.Id == alert.Id);
        Assert.Equal(ids.Skip(1), now.ConsultationIds);
        Assert.Equal(3, now.Workers);
        var related = await kit.Rest.Send<IReadOnlyList<Consultation>>(HttpMethod.Get, $"/api/admin/alerts/{alert.Id}/consultations", admin);
        Assert.Equal(ids.Skip(1).OrderBy(x => x), related.Select(c => c.Id).OrderBy(x => x));
        Assert.All(related, c => Assert.Equal(1, c.RelatedCount));
        Assert.False(await Stored(), "the erased worker's spelling is still in a file of the store");
    }

    [Fact]
    public async Task One_worker_three_times_opens_none_but_the_assigned_lawyer_sees_the_related_count()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var admin = await kit.AdminToken();
        var employer = $"莆田{Tag()}鞋业有限公司";
        var worker = await kit.Worker();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
            ids.Add((await kit.Rest.OpenConsultation(worker.Token, category, dialect, $"第{i + 1}次来问", employer: employer, region: "putian")).Id);
        Assert.DoesNotContain(await kit.Rest.GetAlerts(admin), a => a.ConsultationIds.Intersect(ids).Any());

        var lawyer = await kit.Lawyer([category], dialect);
        var offer = await lawyer.Hub.Offers.WaitAsync(o => ids.Contains(o.ConsultationId), Wait);
        var accepted = await lawyer.Hub.AcceptOffer(offer.ConsultationId);
        Assert.Equal(2, accepted.Consultation.RelatedCount);
        Assert.Equal(employer, accepted.Consultation.Employer);
        Assert.Equal(2, (await lawyer.Hub.JoinConsultation(offer.ConsultationId)).Consultation.RelatedCount);
        Assert.Null((await worker.Hub.JoinConsultation(offer.ConsultationId)).Consultation.RelatedCount);
        Assert.Null((await kit.Rest.GetConsultation(worker.Token, offer.ConsultationId)).RelatedCount);
    }
}
