namespace Hotline.Api.Tests;

/// <summary>Issue 3, test 8: who may do what, every refusal included.</summary>
[Collection(MainCollection.Name)]
public sealed class AuthorizationTests(HotlineHost host)
{
    private static readonly TimeSpan Wait = TestKit.Wait;

    /// <summary>Tries to connect to a hub with a raw SignalR client; returns the failure, or null when connected.</summary>
    private static async Task<Exception?> TryConnect(Uri baseUrl, string hub, string? token)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(baseUrl, hub), o =>
            {
                if (token is not null) o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
            })
            .Build();
        try
        {
            using var cts = new CancellationTokenSource(Wait);
            await connection.StartAsync(cts.Token);
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return e;
        }
        finally
        {
            await connection.DisposeAsync();
        }
    }

    private static async Task AssertRefused(Uri baseUrl, string hub, string? token, string status)
    {
        var error = await TryConnect(baseUrl, hub, token);
        Assert.NotNull(error);
        Assert.Contains(status, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_worker_renews_their_token_and_keeps_their_consultations_while_staff_and_erased_tokens_are_refused()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var worker = await kit.Worker("renewing", connect: false);
        var opened = await kit.Rest.OpenConsultation(worker.Token, category, dialect, "wages unpaid since March");

        var renewed = await kit.Rest.RenewWorker(worker.Token);
        var jwt = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(renewed.Token);
        Assert.Equal(worker.Id, jwt.Subject);
        Assert.Equal(jwt.ValidTo, renewed.ExpiresAt.UtcDateTime);
        Assert.InRange(renewed.ExpiresAt, DateTimeOffset.UtcNow.AddDays(30).AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(30).AddMinutes(5));
        // The same identity: the consultation opened with the old token is the renewed token's too.
        Assert.Equal(opened.Id, (await kit.Rest.GetConsultation(renewed.Token, opened.Id)).Id);

        // Staff sign in again for each shift; no token, no renewal.
        var lawyer = await kit.Lawyer([category], dialect, connect: false);
        Assert.Equal(HttpStatusCode.Forbidden, (await kit.Raw(HttpMethod.Post, "/api/auth/renew", lawyer.Token)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await kit.Raw(HttpMethod.Post, "/api/auth/renew", await host.AdminToken())).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await kit.Raw(HttpMethod.Post, "/api/auth/renew")).Status);

        // While the worker's token version cannot be read, a request is let through on its signature, but no token is
        // renewed on it: the answer is "unavailable", to be retried.
        using (host.CallFaults.Fail("IWorkerGrain.GetTokenVersion"))
            Assert.Equal((503, "unavailable"), await TestKit.RestError(() => kit.Rest.RenewWorker(renewed.Token)));

        // Erased: neither token renews (nor serves).
        Assert.Equal(HttpStatusCode.NoContent, (await kit.Raw(HttpMethod.Delete, "/api/workers/me", renewed.Token)).Status);
        Assert.Equal((401, "unauthorized"), await TestKit.RestError(() => kit.Rest.RenewWorker(worker.Token)));
        Assert.Equal((401, "unauthorized"), await TestKit.RestError(() => kit.Rest.RenewWorker(renewed.Token)));
    }

    [Fact]
    public async Task Worker_cannot_touch_another_workers_consultation()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var lawyer = await kit.Lawyer([category], dialect);
        var a = await kit.Worker("A");
        var b = await kit.Worker("B");
        var (c, _) = await kit.OpenAndAccept(a, lawyer, category, dialect);
        await a.Hub.SendMessage(c.Id, "private");

        Assert.Equal((403, "forbidden"), await TestKit.RestError(() => kit.Rest.GetConsultation(b.Token, c.Id)));
        Assert.Equal((403, "forbidden"), await TestKit.RestError(() => kit.Rest.GetMessages(b.Token, c.Id)));
        Assert.Equal("forbidden", await TestKit.HubError(() => b.Hub.JoinConsultation(c.Id)));
        Assert.Equal("forbidden", await TestKit.HubError(() => b.Hub.SendMessage(c.Id, "let me in")));
        Assert.Equal("forbidden", await TestKit.HubError(() => b.Hub.Invoke("Typing", c.Id)));
        Assert.Equal("forbidden", await TestKit.HubError(() => b.Hub.Invoke<Consultation>("CloseConsultation", [c.Id, 1, "bad"])));
        Assert.DoesNotContain(b.Hub.Messages.Items, m => m.ConsultationId == c.Id);
        // Nothing changed.
        var view = await kit.Rest.GetConsultation(a.Token, c.Id);
        Assert.Equal("active", view.Status);
        Assert.Equal(1, view.LastSeq);
        Assert.Null(view.Rating);
        // The owner still can.
        Assert.Equal(2, (await a.Hub.SendMessage(c.Id, "still mine")).Seq);
        var mine = await kit.Raw(HttpMethod.Get, "/api/workers/me/consultations", a.Token);
        Assert.Contains(c.Id, mine.Body);
        var theirs = await kit.Raw(HttpMethod.Get, "/api/workers/me/consultations", b.Token);
        Assert.DoesNotContain(c.Id, theirs.Body);
    }

    [Fact]
    public async Task Lawyer_sees_only_consultations_offered_or_assigned_to_it_and_writes_only_when_assigned()
    {
        await using var kit = new TestKit(host);
        var (categories, dialect) = TestKit.Combos(2);
        var offered = await kit.Lawyer([categories[0]], dialect);
        var stranger = await kit.Lawyer([categories[1]], dialect);
        var worker = await kit.Worker();
        var c = await kit.Open(worker, categories[0], dialect);
        await offered.Hub.Offers.WaitAsync(o => o.ConsultationId == c.Id, Wait);

        // Offered, not yet assigned: may read, may not write or close.
        Assert.Equal(c.Id, (await kit.Rest.GetConsultation(offered.Token, c.Id)).Id);
        Assert.Equal(c.Id, (await offered.Hub.JoinConsultation(c.Id)).Consultation.Id);
        Assert.Equal("forbidden", await TestKit.HubError(() => offered.Hub.SendMessage(c.Id, "hello?")));
        Assert.Equal("forbidden", await TestKit.HubError(() => offered.Hub.Invoke<Consultation>("CloseConsultation", [c.Id, "answered", null])));
        Assert.Equal("forbidden", await TestKit.HubError(() => offered.Hub.Invoke<Consultation>("Transfer", [c.Id, new TransferRequest(ToCategory: categories[1])])));

        // Never offered: nothing at all.
        Assert.Equal((403, "forbidden"), await TestKit.RestError(() => kit.Rest.GetConsultation(stranger.Token, c.Id)));
        Assert.Equal((403, "forbidden"), await TestKit.RestError(() => kit.Rest.GetMessages(stranger.Token, c.Id)));
        Assert.Equal("forbidden", await TestKit.HubError(() => stranger.Hub.JoinConsultation(c.Id)));
        Assert.Equal("forbidden", await TestKit.HubError(() => stranger.Hub.SendMessage(c.Id, "hi")));
        Assert.Equal("forbidden", await TestKit.HubError(() => stranger.Hub.Invoke("Typing", c.Id)));
        Assert.Equal("forbidden", await TestKit.HubError(() => stranger.Hub.AcceptOffer(c.Id)));
        Assert.Equal("forbidden", await TestKit.HubError(() => stranger.Hub.Invoke<Note>("AddNote", [c.Id, "snooping"])));
        Assert.Equal("forbidden", await TestKit.HubError(() => stranger.Hub.Invoke<Consultation>("CloseConsultation", [c.Id, "answered", null])));
        Assert.DoesNotContain(await stranger.Hub.Invoke<IReadOnlyList<Consultation>>("GetMyConsultations", []), v => v.Id == c.Id);

        // Accepted: now it writes, and it is in its list.
        await offered.Hub.AcceptOffer(c.Id);
        Assert.Equal(1, (await offered.Hub.SendMessage(c.Id, "I am your lawyer")).Seq);
        Assert.Contains(await offered.Hub.Invoke<IReadOnlyList<Consultation>>("GetMyConsultations", []), v => v.Id == c.Id);
        var note = await offered.Hub.Invoke<Note>("AddNote", [c.Id, "worker seems credible"]);
        Assert.Equal(offered.Id, note.LawyerId);
        Assert.Equal("forbidden", await TestKit.HubError(() => stranger.Hub.Invoke<IReadOnlyList<Note>>("GetNotes", [c.Id])));
        Assert.Equal(1, (await kit.Rest.GetConsultation(worker.Token, c.Id)).LastSeq);
    }

    [Fact]
    public async Task Admin_gets_metrics_and_roster_but_not_transcripts_or_participant_hubs()
    {
        await using var kit = new TestKit(host);
        var (lawyer, worker, c, category, dialect) = await kit.ActiveCase();
        var admin = await kit.AdminToken();
        await worker.Hub.SendMessage(c.Id, "secret");

        var metrics = await kit.Rest.GetMetrics(admin);
        Assert.True(metrics.Silos >= 1);
        Assert.Contains(metrics.Queues, q => q.Category == category);
        var roster = await kit.Rest.GetLawyers(admin);
        Assert.Contains(roster, l => l.Id == lawyer.Id && l.Status == "available" && l.ActiveCount == 1);

        Assert.Equal((403, "forbidden"), await TestKit.RestError(() => kit.Rest.GetMessages(admin, c.Id)));
        Assert.Equal((403, "forbidden"), await TestKit.RestError(() => kit.Rest.GetConsultation(admin, c.Id)));
        Assert.Equal((403, "forbidden"), await TestKit.RestError(() => kit.Rest.OpenConsultation(admin, category, dialect, "admin opens")));
        await AssertRefused(kit.BaseUrl, "/hubs/worker", admin, "403");
        await AssertRefused(kit.BaseUrl, "/hubs/lawyer", admin, "403");

        // The admin hub works and pushes Metrics.
        var hub = await kit.Start(HotlineConnection.Admin(kit.BaseUrl, admin));
        var pushed = await hub.Metrics.WaitAsync(null, Wait);
        Assert.True(pushed.Silos >= 1);
    }

    [Fact]
    public async Task Worker_and_lawyer_tokens_get_403_on_admin_endpoints_and_the_admin_hub()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var lawyer = await kit.Lawyer([category], dialect, connect: false);
        var worker = await kit.Rest.CreateWorker();
        foreach (var token in new[] { worker.Token, lawyer.Token })
        {
            Assert.Equal((403, "forbidden"), await TestKit.RestError(() => kit.Rest.GetMetrics(token)));
            Assert.Equal((403, "forbidden"), await TestKit.RestError(() => kit.Rest.GetLawyers(token)));
            Assert.Equal((403, "forbidden"), await TestKit.RestError(() => kit.Rest.CreateLawyer(token, "t-evil-" + Guid.NewGuid().ToString("N")[..6], "password123", "Evil", [category], [dialect], 3)));
            var report = await kit.Raw(HttpMethod.Get, "/api/admin/reports/hourly", token);
            Assert.Equal(HttpStatusCode.Forbidden, report.Status);
            await AssertRefused(kit.BaseUrl, "/hubs/admin", token, "403");
        }
        // A lawyer cannot open consultations as a worker.
        Assert.Equal((403, "forbidden"), await TestKit.RestError(() => kit.Rest.OpenConsultation(lawyer.Token, category, dialect, "lawyer opens")));
        Assert.DoesNotContain(await kit.Rest.GetLawyers(await kit.AdminToken()), l => l.Username.StartsWith("t-evil-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Worker_and_lawyer_tokens_are_refused_by_each_others_hub()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var lawyer = await kit.Lawyer([category], dialect, connect: false);
        var worker = await kit.Rest.CreateWorker();
        await AssertRefused(kit.BaseUrl, "/hubs/lawyer", worker.Token, "403");
        await AssertRefused(kit.BaseUrl, "/hubs/worker", lawyer.Token, "403");
        // A worker connecting to the lawyer hub does not become an online lawyer. (Checked before the lawyer's own
        // connection below: its disconnect is processed asynchronously after the client disposes.)
        Assert.Equal("offline", (await kit.RosterEntry(lawyer.Id)).Status);
        Assert.Null(await TryConnect(kit.BaseUrl, "/hubs/worker", worker.Token));
        Assert.Null(await TryConnect(kit.BaseUrl, "/hubs/lawyer", lawyer.Token));
    }

    [Fact]
    public async Task No_token_or_a_bad_token_gets_401_and_hubs_refuse_the_connection()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var worker = await kit.Worker();
        var c = await kit.Open(worker, category, dialect);
        foreach (var token in new string?[] { null, "not-a-jwt", worker.Token[..^4] + "AAAA" })
        {
            Assert.Equal((401, "unauthorized"), await TestKit.RestError(() => kit.Rest.Send<Consultation>(HttpMethod.Get, $"/api/consultations/{c.Id}", token)));
            Assert.Equal((401, "unauthorized"), await TestKit.RestError(() => kit.Rest.Send<object>(HttpMethod.Get, $"/api/consultations/{c.Id}/messages", token)));
            Assert.Equal((401, "unauthorized"), await TestKit.RestError(() => kit.Rest.Send<Consultation>(HttpMethod.Post, "/api/consultations", token, new { category, dialect, summary = "x" })));
            Assert.Equal((401, "unauthorized"), await TestKit.RestError(() => kit.Rest.Send<object>(HttpMethod.Get, "/api/admin/metrics", token)));
            Assert.Equal((401, "unauthorized"), await TestKit.RestError(() => kit.Rest.Send<object>(HttpMethod.Get, "/api/admin/lawyers", token)));
            foreach (var hub in new[] { "/hubs/worker", "/hubs/lawyer", "/hubs/admin" })
                await AssertRefused(kit.BaseUrl, hub, token, "401");
        }
        var problem = await kit.Raw(HttpMethod.Get, "/api/admin/metrics");
        Assert.Equal("application/problem+json", problem.ContentType);
        Assert.Equal("unauthorized", TestKit.ProblemCode(problem.Body));
        // Anonymous endpoints stay open.
        Assert.Equal(HttpStatusCode.OK, (await kit.Raw(HttpMethod.Get, "/api/catalog")).Status);
        Assert.Equal((401, "unauthorized"), await TestKit.RestError(() => kit.Rest.Login("admin", "wrong-password")));
        Assert.Equal((401, "unauthorized"), await TestKit.RestError(() => kit.Rest.Login("nobody-" + Guid.NewGuid().ToString("N")[..6], "whatever1")));
    }

    [Fact]
    public async Task Gateway_key_only_works_on_phone_calls()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var call = await kit.Raw(HttpMethod.Post, "/api/hotline/calls", json: new { callerNumber = "13800000001", category, dialect }, apiKey: HotlineHost.GatewayKey);
        Assert.Equal(HttpStatusCode.Created, call.Status);

        var badKey = await kit.Raw(HttpMethod.Post, "/api/hotline/calls", json: new { callerNumber = "13800000002", category, dialect }, apiKey: "wrong-key");
        Assert.Equal(HttpStatusCode.Unauthorized, badKey.Status);
        Assert.Equal("unauthorized", TestKit.ProblemCode(badKey.Body));
        var noKey = await kit.Raw(HttpMethod.Post, "/api/hotline/calls", json: new { callerNumber = "13800000003", category, dialect });
        Assert.Equal(HttpStatusCode.Unauthorized, noKey.Status);
        // A worker's token is not a gateway key.
        var worker = await kit.Rest.CreateWorker();
        var asWorker = await kit.Raw(HttpMethod.Post, "/api/hotline/calls", worker.Token, new { callerNumber = "13800000004", category, dialect });
        Assert.True(asWorker.Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, $"worker token on the gateway endpoint: {asWorker.Status}");

        // The key opens nothing else.
        foreach (var (method, path, body) in new (HttpMethod, string, object?)[]
                 {
                     (HttpMethod.Get, "/api/admin/metrics", null),
                     (HttpMethod.Get, "/api/admin/lawyers", null),
                     (HttpMethod.Post, "/api/consultations", new { category, dialect, summary = "via gateway key" }),
                 })
        {
            var r = await kit.Raw(method, path, json: body, apiKey: HotlineHost.GatewayKey);
            Assert.Equal(HttpStatusCode.Unauthorized, r.Status);
        }
        await AssertRefused(kit.BaseUrl, "/hubs/worker", HotlineHost.GatewayKey, "401");
    }

    [Fact]
    public async Task What_is_typed_as_an_unknown_username_never_becomes_a_grain_id()
    {
        await using var kit = new TestKit(host);
        // A password typed into the username box, say. Before, login looked up the grain "lw-<what was typed>": an
        // activation per guess, and the text in every trace span and Orleans log line that names the grain.
        var typed = "MySecret-" + Guid.NewGuid().ToString("N")[..10];
        Assert.Equal((401, "unauthorized"), await TestKit.RestError(() => kit.Rest.Login(typed, "whatever-12351")));
        var active = await host.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        Assert.NotEmpty(active);
        Assert.DoesNotContain(active, g => g.GrainId.ToString().Contains(typed, StringComparison.OrdinalIgnoreCase));

        // A known lawyer still logs in.
        var lawyer = await kit.Lawyer(["other"], "english", connect: false);
        Assert.Equal(lawyer.Id, (await kit.Rest.Login(lawyer.Username, TestKit.Password)).UserId);
    }
}
