using Hotline.Abstractions;

namespace Hotline.Api.Tests;

/// <summary>Issue 10: a login flood does not stop worker tokens; per-username backoff.</summary>
[Collection(FloodCollection.Name)]
public sealed class LoginFloodTests(FloodHost host)
{
    private async Task<HttpResponseMessage> Post(string path, object body, string clientAddress)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = System.Net.Http.Json.JsonContent.Create(body) };
        // The test client is 127.0.0.1, listed in Hotline:Network:KnownProxies: it speaks for the address it forwards.
        request.Headers.Add("X-Forwarded-For", clientAddress);
        return await host.Http.SendAsync(request);
    }

    [Fact]
    public async Task A_login_flood_from_one_address_does_not_stop_worker_tokens_from_another_behind_the_trusted_proxy()
    {
        HttpStatusCode last = 0;
        for (var i = 0; i < 60 && last != HttpStatusCode.TooManyRequests; i++)
            last = (await Post("/api/auth/login", new { username = "nobody-" + i, password = "wrong-password" }, "203.0.113.7")).StatusCode;
        Assert.Equal(HttpStatusCode.TooManyRequests, last);

        // Another address behind the same proxy: workers still get tokens, and they work.
        var token = await Post("/api/auth/worker", new { displayName = "new worker" }, "198.51.100.9");
        Assert.Equal(HttpStatusCode.OK, token.StatusCode);
        var worker = JsonSerializer.Deserialize<WorkerToken>(await token.Content.ReadAsStringAsync(), HotlineRest.Json)!;
        await using var kit = new TestKit(host);
        Assert.Equal(HttpStatusCode.OK, (await kit.Raw(HttpMethod.Get, "/api/workers/me/consultations", worker.Token)).Status);
        // Worker tokens are a partition of their own, even from the flooding address.
        Assert.Equal(HttpStatusCode.OK, (await Post("/api/auth/worker", new { }, "203.0.113.7")).StatusCode);
        // The other address may still log in (bad credentials: 401, not 429).
        Assert.Equal(HttpStatusCode.Unauthorized, (await Post("/api/auth/login", new { username = "nobody", password = "wrong-password" }, "198.51.100.9")).StatusCode);
    }

    [Fact]
    public async Task An_unknown_username_costs_the_same_password_verification_as_a_known_one()
    {
        await using var kit = new TestKit(host);
        var lawyer = await kit.Lawyer(["other"], "english", connect: false);
        var guard = host.Services.GetRequiredService<Hotline.Silo.Security.LoginGuard>();
        async Task<long> Cost(string username)
        {
            var before = guard.Verifications;
            Assert.Equal(HttpStatusCode.Unauthorized, (await Post("/api/auth/login", new { username, password = "wrong-password" }, "192.0.2.200")).StatusCode);
            return guard.Verifications - before;
        }
        // One full PBKDF2 verification each (against a dummy hash for the unknown one): no answer-time difference to measure.
        Assert.Equal(1, await Cost(lawyer.Username));
        Assert.Equal(1, await Cost("no-such-user-" + Guid.NewGuid().ToString("N")[..8]));
    }

    [Fact]
    public async Task Repeated_failures_for_one_username_back_off_from_any_address()
    {
        await using var kit = new TestKit(host);
        var lawyer = await kit.Lawyer(["other"], "english", connect: false);
        for (var i = 0; i < 6; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await Post("/api/auth/login", new { username = lawyer.Username, password = "wrong-" + i }, $"192.0.2.{i + 1}")).StatusCode);
        var blocked = await Post("/api/auth/login", new { username = lawyer.Username, password = TestKit.Password }, "192.0.2.99");
        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
        Assert.Equal("rate_limited", TestKit.ProblemCode(await blocked.Content.ReadAsStringAsync()));
        Assert.True(blocked.Headers.RetryAfter is not null);
    }
}

/// <summary>Issue 10: retention purge with a clock moved forward.</summary>
[Collection(ClockCollection.Name)]
public sealed class RetentionTests(ClockHost host)
{
    [Fact]
    public async Task Closed_consultations_older_than_the_retention_lose_their_texts_and_the_purge_is_audited()
    {
        await using var kit = new TestKit(host);
        // A host of its own: fixed combinations leave the unique ones to the main host's tests.
        var (category, dialect) = ("unpaid_wages", "minnan");
        var lawyer = await kit.Lawyer([category], dialect);
        // A name of this test alone: the worker's own record loses it once their every consultation is purged.
        var name = "Li Si " + Guid.NewGuid().ToString("N")[..8];
        var worker = await kit.Worker(name);
        var (c, _) = await kit.OpenAndAccept(worker, lawyer, category, dialect);
        await worker.Hub.SendMessage(c.Id, "my employer Acme owes me");
        // A text of this test alone, to look for in the store's files.
        var marker = "acme-claim-" + Guid.NewGuid().ToString("N")[..10];
        await worker.Hub.SendMessage(c.Id, marker);
        await lawyer.Hub.Invoke<Note>("AddNote", [c.Id, "Acme again"]);
        await lawyer.Hub.Invoke<Consultation>("CloseConsultation", [c.Id, "answered", "told them to apply for arbitration", "apply to Acme's arbitration committee"]);
        Assert.Equal("apply to Acme's arbitration committee", (await kit.Rest.GetConsultation(worker.Token, c.Id)).Advice);
        var retention = host.Services.GetRequiredService<IGrainFactory>().GetGrain<IRetentionGrain>(GrainKeys.Hotline);

        // Not yet due: nothing happens.
        Assert.Equal(0, await retention.RunDue(180));
        Assert.Equal("my employer Acme owes me", (await kit.Rest.GetMessages(lawyer.Token, c.Id))[0].Text);
        Assert.True(await DataFiles.Contain(host.DataPath, marker, utf16Too: true), "the message is in no file of the store: the scan below would prove nothing");
        Assert.True(await DataFiles.Contain(host.DataPath, name, utf16Too: true), "the worker's name is in no file of the store: the scan below would prove nothing");
        var workerGrain = host.Services.GetRequiredService<IGrainFactory>().GetGrain<IWorkerGrain>(worker.Id);
        Assert.Equal(name, await workerGrain.GetDisplayName());

        host.Clock.Advance(TimeSpan.FromDays(182));
        Assert.True(await retention.RunDue(180) >= 1);
        // The run ended with a scrub: no frame of the WAL, no page of the database still holds the purged text.
        Assert.False(await DataFiles.Contain(host.DataPath, marker, utf16Too: true), "the purged text is still in a file of the store");
        Assert.Null(await workerGrain.GetDisplayName());
        Assert.False(await DataFiles.Contain(host.DataPath, name, utf16Too: true), "the worker's name is still in a file of the store");
        Assert.NotNull(await retention.GetLastRun());
        // A second run finds nothing left (the job's progress is durable, so a restart does not redo or skip days).
        Assert.Equal(0, await retention.RunDue(180));

        // Tokens are checked on the host's clock too: half a year later the lawyer signs in again.
        var token = (await kit.Rest.Login(lawyer.Username, TestKit.Password)).Token;
        var view = await kit.Rest.GetConsultation(token, c.Id);
        Assert.Equal("closed", view.Status);
        Assert.Equal("", view.Summary);
        Assert.Null(view.Advice);
        Assert.All(await kit.Rest.GetMessages(token, c.Id), m => Assert.Equal("", m.Text));
        Assert.Empty(await lawyer.Hub.Invoke<IReadOnlyList<Note>>("GetNotes", [c.Id]));
        var audit = await kit.Raw(HttpMethod.Get, $"/api/admin/audit?consultationId={c.Id}", await kit.AdminToken());
        Assert.Contains("\"purge\"", audit.Body);
    }

    [Fact]
    public async Task A_consultation_whose_purge_fails_is_retried_by_the_next_run_and_later_days_are_purged_meanwhile()
    {
        await using var kit = new TestKit(host);
        var retention = host.Services.GetRequiredService<IGrainFactory>().GetGrain<IRetentionGrain>(GrainKeys.Hotline);
        // Consultations their workers leave while they wait: no lawyer is needed (the lawyers' presence would not survive
        // the clock's jumps here), and the summary is what a purge blanks.
        async Task<(string Id, TestWorker Worker)> Open(string summary)
        {
            var worker = await kit.Worker();
            var c = await kit.Rest.OpenConsultation(worker.Token, "work_injury", "hakka", summary);
            return (c.Id, worker);
        }
        var failing = await Open("the purge of this one fails once");
        var sameDay = await Open("closed the same day");
        var laterDay = await Open("closed the day after");
        Task Close((string Id, TestWorker Worker) c) => c.Worker.Hub.Invoke<Consultation>("CloseConsultation", [c.Id, null, null]);
        await Close(failing);
        await Close(sameDay);
        host.Clock.Advance(TimeSpan.FromDays(1));
        await Close(laterDay);
        // A retention of one day, two days on: both days are due. (The clock moves little: Orleans runs on it too, and
        // its membership and timers take jumps of half a year badly.)
        host.Clock.Advance(TimeSpan.FromDays(2));
        async Task<string> Summary((string Id, TestWorker Worker) c) => (await kit.Rest.GetConsultation(c.Worker.Token, c.Id)).Summary;

        // Before, the failure ended the run: the day's other consultations and every later day waited for that one.
        host.StoreFaults.FailNextErase(failing.Id);
        // (At least: other tests of this host may have closed consultations that are due by now too.)
        Assert.True(await retention.RunDue(1) >= 2);
        Assert.Equal("the purge of this one fails once", await Summary(failing));
        Assert.Equal("", await Summary(sameDay));
        Assert.Equal("", await Summary(laterDay));

        // Its day was kept: the next run purges it, and finds the others done.
        Assert.True(await retention.RunDue(1) >= 1);
        Assert.Equal("", await Summary(failing));
        Assert.Equal(0, await retention.RunDue(1));
    }

    [Fact]
    public async Task The_sweep_of_older_data_blanks_what_older_erases_kept_and_files_older_worker_records()
    {
        var grains = host.Services.GetRequiredService<IGrainFactory>();
        var storage = host.Services.GetRequiredService<Orleans.Storage.IGrainStorage>();
        var retention = grains.GetGrain<IRetentionGrain>(GrainKeys.Hotline);
        var collective = grains.GetGrain<ICollectiveGrain>(GrainKeys.Hotline);
        var now = host.Clock.GetUtcNow();
        var tag = Guid.NewGuid().ToString("N")[..10];
        // As a build before 2026-11-30 left them (records never activated here): a consultation its worker erased that kept
        // its advice and region, and is still among the detector's mentions; its worker's record, never told; and a worker
        // record made before records were filed for retention, whose worker opened nothing.
        var (erasedId, ownerId, idleId) = ("c-" + Guid.NewGuid().ToString("N"), "w-" + Guid.NewGuid().ToString("N"), "w-" + Guid.NewGuid().ToString("N"));
        var (advice, region, ownerName, idleName, employerKey) = ("advice-" + tag, "region-" + tag, "Owner " + tag, "Idle " + tag, "sweepco-" + tag);
        await storage.WriteStateAsync("consultation", GrainId.Create("consultation", erasedId), new GrainState<Hotline.Grains.ConsultationState>(new()
        {
            Id = erasedId, WorkerId = ownerId, Category = "unpaid_wages", Dialect = "mandarin", Status = Hotline.Domain.ConsultationStatus.Closed,
            QueuedAt = now.AddDays(-3), ClosedAt = now.AddDays(-2), ErasedAt = now.AddDays(-1), Advice = advice, Region = region,
        }));
        await storage.WriteStateAsync("worker", GrainId.Create("worker", ownerId), new GrainState<Hotline.Grains.WorkerState>(new()
        {
            DisplayName = ownerName, ConsultationIds = [erasedId],
        }));
        await storage.WriteStateAsync("worker", GrainId.Create("worker", idleId), new GrainState<Hotline.Grains.WorkerState>(new() { DisplayName = idleName }));
        var otherId = "c-" + Guid.NewGuid().ToString("N");
        foreach (var (id, worker, at) in new[] { (erasedId, ownerId, region), (otherId, "w-other-" + tag, null) })
            await collective.Record(new EmployerMentioned { ConsultationId = id, WorkerId = worker, EmployerKey = employerKey, Employer = "SweepCo " + tag, Region = at, At = now });
        Assert.Contains(erasedId, await collective.Related(employerKey, otherId));
        Assert.True(await DataFiles.Contain(host.DataPath, advice, utf16Too: true), "the advice is in no file of the store: the scan below would prove nothing");

        // A version of this test's own: the current sweep may have run already (any RunDue runs it), before these rows existed.
        var swept = await retention.Sweep(100);
        Assert.True(swept.Ran);
        Assert.Equal(0, swept.Failed); // every record of this host, other tests' included, sweeps cleanly
        Assert.True(swept.Erased >= 1 && swept.Filed >= 1, $"erased {swept.Erased}, filed {swept.Filed}");
        Assert.False(await DataFiles.Contain(host.DataPath, advice, utf16Too: true), "the advice an older erase kept is still in a file of the store");
        Assert.False(await DataFiles.Contain(host.DataPath, region, utf16Too: true), "the region an older erase kept is still in a file of the store");
        Assert.DoesNotContain(erasedId, await collective.Related(employerKey, otherId));
        Assert.Null(await grains.GetGrain<IWorkerGrain>(ownerId).GetDisplayName());
        Assert.False((await retention.Sweep(100)).Ran); // done, nothing left to retry: not again

        // The idle record was filed today: it keeps its name until the retention runs out, then loses it.
        var idle = grains.GetGrain<IWorkerGrain>(idleId);
        Assert.Equal(idleName, await idle.GetDisplayName());
        host.Clock.Advance(TimeSpan.FromDays(2));
        await retention.RunDue(1);
        Assert.Null(await idle.GetDisplayName());
        Assert.False(await DataFiles.Contain(host.DataPath, idleName, utf16Too: true), "the idle worker's name is still in a file of the store");
    }

    [Fact]
    public async Task A_worker_record_that_never_opened_a_consultation_loses_its_name_after_the_retention()
    {
        await using var kit = new TestKit(host);
        var grains = host.Services.GetRequiredService<IGrainFactory>();
        var retention = grains.GetGrain<IRetentionGrain>(GrainKeys.Hotline);
        // A name of this test alone. Before, such a record kept its name (and phone) for ever: retention reached worker
        // records only through their consultations.
        var name = "Wang Wu " + Guid.NewGuid().ToString("N")[..8];
        var idle = await kit.Worker(name, connect: false);
        var idleGrain = grains.GetGrain<IWorkerGrain>(idle.Id);
        // A worker of the same day who opened one (still open): their name stays, their consultation's purge decides.
        var (category, dialect) = ("social_insurance", "puxian");
        var busyName = "Zhao Liu " + Guid.NewGuid().ToString("N")[..8];
        var busy = await kit.Worker(busyName);
        await kit.Rest.OpenConsultation(busy.Token, category, dialect, "my wages are late");
        var busyGrain = grains.GetGrain<IWorkerGrain>(busy.Id);

        await retention.RunDue(1);
        Assert.Equal(name, await idleGrain.GetDisplayName());
        Assert.True(await DataFiles.Contain(host.DataPath, name, utf16Too: true), "the worker's name is in no file of the store: the scan below would prove nothing");

        host.Clock.Advance(TimeSpan.FromDays(2));
        await retention.RunDue(1);
        Assert.Null(await idleGrain.GetDisplayName());
        Assert.False(await DataFiles.Contain(host.DataPath, name, utf16Too: true), "the idle worker's name is still in a file of the store");
        Assert.Equal(busyName, await busyGrain.GetDisplayName());
        var audit = await kit.Raw(HttpMethod.Get, "/api/admin/audit", await kit.AdminToken());
        Assert.Contains("a worker record without consultations", audit.Body);
    }
}

/// <summary>Issue 10: a caller's phone number is in no id, name, summary, event, log line or database byte.</summary>
[Collection(ClockCollection.Name)]
public sealed class PhoneNumberPrivacyTests(ClockHost host)
{
    [Fact]
    public async Task The_phone_number_is_found_neither_in_the_database_file_nor_in_the_logs_nor_in_any_event()
    {
        await using var kit = new TestKit(host) { RecordRawEvents = true };
        var (category, dialect) = ("dismissal", "fuzhou");
        var lawyer = await kit.Lawyer([category], dialect);
        var admin = await kit.Start(HotlineConnection.Admin(kit.BaseUrl, await kit.AdminToken()));
        const string number = "13987654321";
        var call = await kit.Raw(HttpMethod.Post, "/api/hotline/calls", json: new { callerNumber = number, category, dialect }, apiKey: HotlineHost.GatewayKey);
        Assert.Equal(HttpStatusCode.Created, call.Status);
        var id = JsonDocument.Parse(call.Body).RootElement.GetProperty("id").GetString()!;
        await lawyer.Hub.Offers.WaitAsync(o => o.ConsultationId == id, TestKit.Wait);
        var accepted = await lawyer.Hub.AcceptOffer(id);
        await lawyer.Hub.SendMessage(id, "we will call you back");
        await lawyer.Hub.Invoke<Consultation>("CloseConsultation", [id, "answered", null]);
        await lawyer.Hub.StatusChanges.WaitAsync(s => s.ConsultationId == id && s.Status == "closed", TestKit.Wait);
        // A second call from the same number is the same (keyed-hash) worker.
        var again = await kit.Raw(HttpMethod.Post, "/api/hotline/calls", json: new { callerNumber = "+86 139 8765 4321", category, dialect }, apiKey: HotlineHost.GatewayKey);
        Assert.Equal(accepted.Consultation.WorkerId, JsonDocument.Parse(again.Body).RootElement.GetProperty("workerId").GetString());

        string[] forms = [number, "8613987654321", "4321"];
        Assert.DoesNotContain(forms, f => call.Body.Contains(f, StringComparison.Ordinal) || accepted.Consultation.WorkerId.Contains(f, StringComparison.Ordinal));
        // The events were recorded as they arrived on the wire (so the scan below is not over an empty log).
        Assert.Contains(lawyer.Hub.RawEvents.Items, e => e.Method == "Offer" && e.Payload.GetProperty("consultationId").GetString() == id);
        foreach (var e in lawyer.Hub.RawEvents.Items.Concat(admin.RawEvents.Items))
            Assert.DoesNotContain(forms.Take(2), f => e.Payload.GetRawText().Contains(f, StringComparison.Ordinal));
        Assert.DoesNotContain(host.Logs.Lines, l => l.Contains(number, StringComparison.Ordinal) || l.Contains("8613987654321", StringComparison.Ordinal));
        Assert.False(await DataFiles.Contain(host.DataPath, number, utf16Too: true), "the number is in a file of the data folder");
        Assert.False(await DataFiles.Contain(host.DataPath, "8613987654321", utf16Too: true), "the number is in a file of the data folder");
    }
}
