namespace Hotline.Api.Tests;

/// <summary>Health, OpenAPI, Scalar, catalog, and the contract's JSON shapes on the wire.</summary>
[Collection(MainCollection.Name)]
public sealed class ServiceTests(HotlineHost host)
{
    private static readonly TimeSpan Wait = TestKit.Wait;

    [Fact]
    public async Task Health_openapi_and_scalar_are_served()
    {
        await using var kit = new TestKit(host);
        Assert.Equal(HttpStatusCode.OK, (await kit.Raw(HttpMethod.Get, "/health/live")).Status);
        Assert.Equal(HttpStatusCode.OK, (await kit.Raw(HttpMethod.Get, "/health/ready")).Status);

        var openApi = await kit.Raw(HttpMethod.Get, "/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, openApi.Status);
        using var doc = JsonDocument.Parse(openApi.Body);
        var paths = doc.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet();
        foreach (var path in new[]
                 {
                     "/api/auth/worker", "/api/auth/login", "/api/catalog", "/api/consultations", "/api/consultations/{id}",
                     "/api/consultations/{id}/messages", "/api/hotline/calls", "/api/admin/metrics", "/api/admin/lawyers",
                 })
            Assert.Contains(path, paths);

        var scalar = await kit.Raw(HttpMethod.Get, "/scalar");
        Assert.Equal(HttpStatusCode.OK, scalar.Status);
        Assert.Contains("<html", scalar.Body, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Catalog_comes_from_the_seeds()
    {
        await using var kit = new TestKit(host);
        var catalog = await kit.Raw(HttpMethod.Get, "/api/catalog");
        using var doc = JsonDocument.Parse(catalog.Body);
        var categories = doc.RootElement.GetProperty("categories").EnumerateArray().ToList();
        // The seeds' 8 categories, then the test host's own (TestKit.ExtraCategories).
        Assert.Equal(8 + TestKit.ExtraCategories.Length, categories.Count);
        Assert.All(categories, c => Assert.Equal(["id", "name", "nameZh"], c.EnumerateObject().Select(p => p.Name)));
        Assert.Contains(categories, c => c.GetProperty("id").GetString() == "unpaid_wages" && c.GetProperty("nameZh").GetString() == "欠薪讨薪");
        Assert.Equal(7, doc.RootElement.GetProperty("dialects").GetArrayLength());
    }

    private static void HasFields(JsonElement element, params string[] fields)
    {
        var names = element.EnumerateObject().Select(p => p.Name).ToHashSet();
        foreach (var field in fields) Assert.True(names.Contains(field), $"missing '{field}' in {element}");
    }

    [Fact]
    public async Task Wire_shapes_match_the_contract()
    {
        await using var kit = new TestKit(host) { RecordRawEvents = true };
        var (category, dialect) = TestKit.Combo();
        var admin = await kit.AdminToken();

        var workerToken = await kit.Raw(HttpMethod.Post, "/api/auth/worker", json: new { displayName = "Shape" });
        HasFields(JsonDocument.Parse(workerToken.Body).RootElement, "workerId", "token");
        var token = JsonDocument.Parse(workerToken.Body).RootElement.GetProperty("token").GetString()!;
        var lawyer = await kit.Lawyer([category], dialect);
        var login = await kit.Raw(HttpMethod.Post, "/api/auth/login", json: new { username = lawyer.Username, password = TestKit.Password });
        HasFields(JsonDocument.Parse(login.Body).RootElement, "userId", "role", "displayName", "token");

        var worker = await kit.Start(HotlineConnection.Worker(kit.BaseUrl, token));
        var created = await kit.Raw(HttpMethod.Post, "/api/consultations", token, new { category, dialect, summary = "shape check" });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var view = JsonDocument.Parse(created.Body).RootElement;
        HasFields(view, "id", "workerId", "category", "dialect", "channel", "summary", "status", "priority", "createdAt",
            "assignedLawyerId", "assignedLawyerName", "queuePosition", "estimatedWaitSeconds", "lastSeq");
        Assert.Equal(JsonValueKind.String, view.GetProperty("id").ValueKind);
        Assert.Equal("web", view.GetProperty("channel").GetString());
        var id = view.GetProperty("id").GetString()!;

        var offer = (await lawyer.Hub.RawEvents.WaitAsync(e => e.Method == "Offer", Wait)).Payload;
        HasFields(offer, "consultationId", "category", "dialect", "channel", "summary", "waitedSeconds", "expiresAt");
        await lawyer.Hub.AcceptOffer(id);
        HasFields((await worker.RawEvents.WaitAsync(e => e.Method == "Assigned", Wait)).Payload, "consultationId", "lawyerId", "lawyerName");
        var status = (await worker.RawEvents.WaitAsync(e => e.Method == "StatusChanged", Wait)).Payload;
        HasFields(status, "consultationId", "status");
        Assert.Equal("active", status.GetProperty("status").GetString());
        await worker.SendMessage(id, "shape");
        var message = (await lawyer.Hub.RawEvents.WaitAsync(e => e.Method == "Message", Wait)).Payload;
        HasFields(message, "consultationId", "seq", "senderRole", "senderId", "senderName", "text", "sentAt", "clientMessageId");
        Assert.Equal("worker", message.GetProperty("senderRole").GetString());
        Assert.Equal(JsonValueKind.Number, message.GetProperty("seq").ValueKind);
        await lawyer.Hub.Invoke("Typing", id);
        HasFields((await worker.RawEvents.WaitAsync(e => e.Method == "Typing", Wait)).Payload, "consultationId", "role");

        var ack = await worker.Invoke<JsonElement>("SendMessage", [id, Guid.NewGuid().ToString("N"), "ack shape"]);
        HasFields(ack, "seq", "sentAt", "duplicate");
        var join = await worker.Invoke<JsonElement>("JoinConsultation", [id, 0L]);
        HasFields(join, "consultation", "missed");

        var roster = await kit.Raw(HttpMethod.Get, "/api/admin/lawyers", admin);
        var entry = JsonDocument.Parse(roster.Body).RootElement.EnumerateArray().Single(l => l.GetProperty("id").GetString() == lawyer.Id);
        HasFields(entry, "id", "username", "displayName", "skills", "dialects", "capacity", "status", "activeCount");
        var metrics = JsonDocument.Parse((await kit.Raw(HttpMethod.Get, "/api/admin/metrics", admin)).Body).RootElement;
        HasFields(metrics, "at", "queues", "lawyers", "consultations", "silos");
        HasFields(metrics.GetProperty("queues").EnumerateArray().First(), "category", "waiting", "oldestWaitSeconds", "averageWaitSeconds", "serviceLevel", "abandoned", "answered");
        HasFields(metrics.GetProperty("lawyers"), "online", "available", "busy", "away");
        HasFields(metrics.GetProperty("consultations"), "queued", "offered", "active", "closedToday");

        // A worker waiting with nobody online gets QueueUpdate.
        var (c2, d2) = TestKit.Combo();
        var waiting = await kit.Worker();
        var queued = await kit.Open(waiting, c2, d2);
        var update = (await waiting.Hub.RawEvents.WaitAsync(e => e.Method == "QueueUpdate", Wait)).Payload;
        HasFields(update, "consultationId", "position", "estimatedWaitSeconds");
        Assert.Equal(queued.Id, update.GetProperty("consultationId").GetString());
        Assert.Equal(1, update.GetProperty("position").GetInt32());
        Assert.Equal("queued", (await kit.Rest.GetConsultation(waiting.Token, queued.Id)).Status);
        await waiting.Hub.Invoke<Consultation>("CloseConsultation", [queued.Id, null, null]);

        // OfferRevoked shape: a second lawyer takes over a declined... use an offer that is withdrawn by the worker leaving.
        var (c3, d3) = TestKit.Combo();
        var l3 = await kit.Lawyer([c3], d3);
        var w3 = await kit.Worker();
        var q3 = await kit.Open(w3, c3, d3);
        await l3.Hub.Offers.WaitAsync(o => o.ConsultationId == q3.Id, Wait);
        await w3.Hub.Invoke<Consultation>("CloseConsultation", [q3.Id, null, null]);
        var revoked = (await l3.Hub.RawEvents.WaitAsync(e => e.Method == "OfferRevoked", Wait)).Payload;
        HasFields(revoked, "consultationId", "reason");
        Assert.Equal("cancelled", revoked.GetProperty("reason").GetString());
    }
}
