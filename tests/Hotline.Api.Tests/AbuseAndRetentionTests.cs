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

    [Fact]
    public async Task The_telephone_gateway_is_not_held_to_one_persons_rate()
    {
        await using var kit = new TestKit(host);
        // This host lets one person make 5 REST calls at once, then 2 a second. The gateway speaks for every caller on
        // the line: a surge of intakes, polls and hangups must not be refused (before, it shared one such bucket, and
        // a refused hangup left a live call queued that nobody would ever bridge).
        var call = await kit.Raw(HttpMethod.Post, "/api/hotline/calls", json: new { callerNumber = "13" + Random.Shared.Next(100_000_000, 999_999_999), category = "other", dialect = "english" },
            apiKey: HotlineHost.GatewayKey);
        Assert.Equal(HttpStatusCode.Created, call.Status);
        var id = JsonDocument.Parse(call.Body).RootElement.GetProperty("id").GetString();
        for (var i = 0; i < 30; i++)
            Assert.Equal(HttpStatusCode.OK, (await kit.Raw(HttpMethod.Get, $"/api/hotline/calls/{id}", apiKey: HotlineHost.GatewayKey)).Status);
        Assert.Equal(HttpStatusCode.OK, (await kit.Raw(HttpMethod.Post, $"/api/hotline/calls/{id}/hangup", json: new { callback = false }, apiKey: HotlineHost.GatewayKey)).Status);

        // A bad key gets no share of the gateway's bucket: it is refused before any.
        Assert.Equal(HttpStatusCode.Unauthorized, (await kit.Raw(HttpMethod.Get, $"/api/hotline/calls/{id}", apiKey: "not-the-key")).Status);
    }
}

/// <summary>Issue 10: retention purge with a clock moved forward.</summary>
[Collection(ClockCollection.Name)]
public sealed class RetentionTests(ClockHost host)
{
    // Sweep versions of these tests' own, each above every one used before in this host (the collection runs its tests
    // one at a time): a sweep whose version is done only retries what it kept, so each walk needs a new one.
    private static int s_sweepVersion = 100;

    private static int NextSweepVersion() => Interlocked.Increment(ref s_sweepVersion);

    private IGrainFactory Grains => host.Services.GetRequiredService<IGrainFactory>();

    private Orleans.Storage.IGrainStorage Storage => host.Services.GetRequiredService<Orleans.Storage.IGrainStorage>();

    private IRetentionGrain Retention => Grains.GetGrain<IRetentionGrain>(GrainKeys.Hotline);

    /// <summary>Puts the retention job's grain to rest, so its next call loads what its state holds in the store.</summary>
    private ValueTask PutJobToRest() => Retention.AsReference<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();

    /// <summary>A consultation its worker opens and leaves while it waits: no lawyer is needed (a lawyer would have to be
    /// routed after the clock's moves), and the summary is what a purge blanks.</summary>
    private static async Task<(string Id, TestWorker Worker)> OpenAlone(TestKit kit, string summary)
    {
        var worker = await kit.Worker();
        var c = await kit.Rest.OpenConsultation(worker.Token, "work_injury", "hakka", summary);
        return (c.Id, worker);
    }

    private static Task Close((string Id, TestWorker Worker) c) => c.Worker.Hub.Invoke<Consultation>("CloseConsultation", [c.Id, null, null]);

    /// <summary>A consultation as a build before 2026-11-30 left one its worker erased: closed and erased, its advice (and
    /// region) kept. Written straight to the store, never activated here.</summary>
    private Task WriteErasedConsultation(string id, string workerId, string advice, string? region = null)
    {
        var now = host.Clock.GetUtcNow();
        return Storage.WriteStateAsync("consultation", GrainId.Create("consultation", id), new GrainState<Hotline.Grains.ConsultationState>(new()
        {
            Id = id, WorkerId = workerId, Category = "unpaid_wages", Dialect = "mandarin", Status = Hotline.Domain.ConsultationStatus.Closed,
            QueuedAt = now.AddDays(-3), ClosedAt = now.AddDays(-2), ErasedAt = now.AddDays(-1), Advice = advice, Region = region,
        }));
    }

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
        var retention = Retention;

        // Not yet due: nothing happens.
        Assert.Equal(0, await retention.RunDue(180));
        Assert.Equal("my employer Acme owes me", (await kit.Rest.GetMessages(lawyer.Token, c.Id))[0].Text);
        Assert.True(await DataFiles.Contain(host.DataPath, marker, utf16Too: true), "the message is in no file of the store: the scan below would prove nothing");
        Assert.True(await DataFiles.Contain(host.DataPath, name, utf16Too: true), "the worker's name is in no file of the store: the scan below would prove nothing");
        var workerGrain = Grains.GetGrain<IWorkerGrain>(worker.Id);
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
        var retention = Retention;
        var failing = await OpenAlone(kit, "the purge of this one fails once");
        var sameDay = await OpenAlone(kit, "closed the same day");
        var laterDay = await OpenAlone(kit, "closed the day after");
        await Close(failing);
        await Close(sameDay);
        host.Clock.Advance(TimeSpan.FromDays(1));
        await Close(laterDay);
        // A retention of one day, two days on: both days are due.
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
    public async Task A_purge_whose_audit_entry_fails_is_audited_by_the_next_run_at_its_own_instant()
    {
        await using var kit = new TestKit(host);
        var retention = Retention;
        var c = await OpenAlone(kit, "the audit of this purge fails once");
        await Close(c);
        host.Clock.Advance(TimeSpan.FromDays(2));
        async Task<string> PurgeEntries()
        {
            var audit = await kit.Raw(HttpMethod.Get, $"/api/admin/audit?consultationId={c.Id}", await kit.AdminToken());
            Assert.Equal(HttpStatusCode.OK, audit.Status);
            return audit.Body;
        }

        // Before, the purge went through and its entry was lost: the retried day found the consultation purged already.
        host.StoreFaults.FailNextAudit("purge", c.Id);
        var purgedAt = host.Clock.GetUtcNow();
        await retention.RunDue(1);
        Assert.Equal("", (await kit.Rest.GetConsultation(c.Worker.Token, c.Id)).Summary);
        Assert.DoesNotContain("\"purge\"", await PurgeEntries());

        // Kept in the job's saved state, not only in its memory: the job's grain is put to rest before the next run.
        await PutJobToRest();
        host.Clock.Advance(TimeSpan.FromHours(1));
        await retention.RunDue(1);
        var entries = JsonSerializer.Deserialize<List<JsonElement>>(await PurgeEntries(), HotlineRest.Json)!
            .Where(e => e.GetProperty("action").GetString() == "purge").ToList();
        var entry = Assert.Single(entries);
        // At the purge's own instant, not the run that wrote it.
        Assert.True(entry.GetProperty("at").GetDateTimeOffset() < purgedAt.AddMinutes(30), $"audited at {entry.GetProperty("at")}");
    }

    [Fact]
    public async Task A_registration_during_a_long_purge_does_not_wait_for_it_and_is_filed_for_retention()
    {
        await using var kit = new TestKit(host);
        var retention = Retention;
        var c = await OpenAlone(kit, "its purge is held at the store");
        await Close(c);
        host.Clock.Advance(TimeSpan.FromDays(2));

        // The purge stops at the store's erase, so the retention job's grain stays busy in this run.
        var release = host.StoreFaults.HoldNextErase(c.Id);
        var run = retention.RunDue(1);
        var name = "Zheng Shi " + Guid.NewGuid().ToString("N")[..8];
        TestWorker registered;
        try
        {
            await host.StoreFaults.ErasesHeld(c.Id).WaitAsync(TestKit.Wait);
            // Before the fourteenth session a registration giving a name waited on the busy job (it filed the record there).
            registered = await kit.Worker(name, connect: false).WaitAsync(TestKit.Wait);
        }
        finally
        {
            release();
        }
        await run;
        Assert.Equal("", (await kit.Rest.GetConsultation(c.Worker.Token, c.Id)).Summary);

        // Filed on its own day all the same: the retention reaches it in turn.
        var grain = Grains.GetGrain<IWorkerGrain>(registered.Id);
        Assert.Equal(name, await grain.GetDisplayName());
        host.Clock.Advance(TimeSpan.FromDays(2));
        await retention.RunDue(1);
        Assert.Null(await grain.GetDisplayName());
    }

    [Fact]
    public async Task A_sweep_stopped_part_way_resumes_after_the_last_key_it_finished_not_from_the_first()
    {
        var (storage, retention) = (Storage, Retention);
        var tag = Guid.NewGuid().ToString("N")[..10];
        // Two consultations an older build erased but left their advice on, on either side of the key the stopped walk
        // finished last ("-b": neither of them).
        foreach (var suffix in new[] { "a", "c" })
            await WriteErasedConsultation($"c-{tag}-{suffix}", "w-" + Guid.NewGuid().ToString("N"), $"advice-{tag}-{suffix}");

        // The job as a restart would find it: a sweep of a new version under way, its consultations walked up to "-b".
        // (The job's grain is put to rest first, so the next call loads what is written here.)
        await PutJobToRest();
        var version = NextSweepVersion();
        var job = new GrainState<Hotline.Grains.RetentionState>(new());
        var jobId = GrainId.Create("retention", GrainKeys.Hotline);
        await storage.ReadStateAsync("retention", jobId, job);
        job.State!.SweepInProgress = version;
        job.State.SweepConsultationsAfter = $"c-{tag}-b";
        job.State.SweepWorkersAfter = null;
        await storage.WriteStateAsync("retention", jobId, job);

        var swept = await retention.Sweep(version);
        Assert.True(swept.Ran);
        Assert.False(await DataFiles.Contain(host.DataPath, $"advice-{tag}-c", utf16Too: true), "the record after the cursor was not swept");
        Assert.True(await DataFiles.Contain(host.DataPath, $"advice-{tag}-a", utf16Too: true), "the record before the cursor was swept: the walk started over");

        // The next version walks everything again, the one before the cursor too.
        Assert.True((await retention.Sweep(NextSweepVersion())).Ran);
        Assert.False(await DataFiles.Contain(host.DataPath, $"advice-{tag}-a", utf16Too: true), "a new version's walk missed a record");
    }

    [Fact]
    public async Task The_sweep_of_older_data_blanks_what_older_erases_kept_and_files_older_worker_records()
    {
        var (grains, storage, retention) = (Grains, Storage, Retention);
        var collective = grains.GetGrain<ICollectiveGrain>(GrainKeys.Hotline);
        var now = host.Clock.GetUtcNow();
        var tag = Guid.NewGuid().ToString("N")[..10];
        // As a build before 2026-11-30 left them (records never activated here): a consultation its worker erased that kept
        // its advice and region, and is still among the detector's mentions; its worker's record, never told; and a worker
        // record made before records were filed for retention, whose worker opened nothing.
        var (erasedId, ownerId, idleId) = ("c-" + Guid.NewGuid().ToString("N"), "w-" + Guid.NewGuid().ToString("N"), "w-" + Guid.NewGuid().ToString("N"));
        var (advice, region, ownerName, idleName, employerKey) = ("advice-" + tag, "region-" + tag, "Owner " + tag, "Idle " + tag, "sweepco-" + tag);
        await WriteErasedConsultation(erasedId, ownerId, advice, region);
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
        var version = NextSweepVersion();
        var swept = await retention.Sweep(version);
        Assert.True(swept.Ran);
        Assert.Equal(0, swept.Failed); // every record of this host, other tests' included, sweeps cleanly
        Assert.True(swept.Erased >= 1 && swept.Filed >= 1, $"erased {swept.Erased}, filed {swept.Filed}");
        Assert.False(await DataFiles.Contain(host.DataPath, advice, utf16Too: true), "the advice an older erase kept is still in a file of the store");
        Assert.False(await DataFiles.Contain(host.DataPath, region, utf16Too: true), "the region an older erase kept is still in a file of the store");
        Assert.DoesNotContain(erasedId, await collective.Related(employerKey, otherId));
        Assert.Null(await grains.GetGrain<IWorkerGrain>(ownerId).GetDisplayName());
        Assert.False((await retention.Sweep(version)).Ran); // done, nothing left to retry: not again

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
        var (grains, retention) = (Grains, Retention);
        // A name of this test alone. Before, such a record kept its name (and phone) for ever: retention reached worker
        // records only through their consultations.
        var name = "Wang Wu " + Guid.NewGuid().ToString("N")[..8];
        var idle = await kit.Worker(name, connect: false);
        var idleGrain = grains.GetGrain<IWorkerGrain>(idle.Id);
        // A worker of the same day who opened one (still open): their name stays, their consultation's purge decides.
        var (category, dialect) = ("social_insurance", "puxian");
        var busyName = "Zhao Liu " + Guid.NewGuid().ToString("N")[..8];
        var busy = await kit.Worker(busyName);
        var open = await kit.Rest.OpenConsultation(busy.Token, category, dialect, "my wages are late");
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
        // Not left waiting: widened by the moved clock, it would go to the lawyers of the tests that run after this one.
        await busy.Hub.Invoke<Consultation>("CloseConsultation", [open.Id, null, null]);
    }

    [Fact]
    public async Task A_worker_connected_when_their_day_comes_keeps_their_name_and_is_filed_again_from_that_day()
    {
        await using var kit = new TestKit(host);
        var (grains, retention) = (Grains, Retention);
        var name = "Sun Qi " + Guid.NewGuid().ToString("N")[..8];
        var worker = await kit.Worker(name, connect: false);
        var grain = grains.GetGrain<IWorkerGrain>(worker.Id);
        host.Clock.Advance(TimeSpan.FromDays(2));
        // A page open when the day comes (its presence lease renewed on the moved clock, as a web process renews it).
        await grain.Connected("page-" + worker.Id);
        await retention.RunDue(1);
        Assert.Equal(name, await grain.GetDisplayName());

        // Gone, and the retention runs out again from the day it was filed anew: then the name goes.
        await grain.Disconnected("page-" + worker.Id);
        await retention.RunDue(1);
        Assert.Equal(name, await grain.GetDisplayName()); // filed today: not due yet
        host.Clock.Advance(TimeSpan.FromDays(2));
        await retention.RunDue(1);
        Assert.Null(await grain.GetDisplayName());
    }

    [Fact]
    public async Task A_record_the_sweep_cannot_read_is_kept_and_retried_alone_until_it_can_then_given_up_after_the_bound()
    {
        var (grains, storage, retention) = (Grains, Storage, Retention);
        // Worker records a worker grain cannot load (a name where the record has text), as a damaged row would be.
        async Task<GrainState<Unreadable>> Damaged(string id)
        {
            var row = new GrainState<Unreadable>(new Unreadable());
            await storage.WriteStateAsync("worker", GrainId.Create("worker", id), row);
            return row;
        }
        async Task Mend(string id, GrainState<Unreadable> row, string name) =>
            await storage.WriteStateAsync("worker", GrainId.Create("worker", id),
                new GrainState<Hotline.Grains.WorkerState>(new() { DisplayName = name }) { ETag = row.ETag, RecordExists = true });
        var (mendedId, lostId) = ("w-" + Guid.NewGuid().ToString("N"), "w-" + Guid.NewGuid().ToString("N"));
        var mended = await Damaged(mendedId);
        var lost = await Damaged(lostId);
        try
        {
            var version = NextSweepVersion();
            var first = await retention.Sweep(version);
            Assert.True(first.Ran);
            Assert.Equal(2, first.Failed); // every other record of this host sweeps cleanly

            // The next runs try only those two, not the whole store again.
            var retried = await retention.Sweep(version);
            Assert.Equal((true, 0, 0, 2), (retried.Ran, retried.Erased, retried.Filed, retried.Failed));
            await Mend(mendedId, mended, "Mended " + mendedId[2..10]);
            retried = await retention.Sweep(version);
            Assert.Equal((true, 0, 1, 1), (retried.Ran, retried.Erased, retried.Filed, retried.Failed));

            // One that never mends is retried by a bounded number of runs (48 in all), then given up.
            var runs = 2;
            while ((await retention.Sweep(version)).Ran)
            {
                runs++;
                Assert.True(runs <= 48, "the sweep retried a failing record more than 48 times");
            }
            Assert.Equal(48, runs);
            Assert.False((await retention.Sweep(version)).Ran);
        }
        finally
        {
            // Readable again for the sweeps of later tests in this host (a walk of a new version would meet it). Its row is as
            // written: a record that cannot load is never written back.
            await Mend(lostId, lost, "Lost " + lostId[2..10]);
        }
    }

    [Fact]
    public async Task A_day_an_older_build_listed_in_the_day_grains_own_record_is_still_purged()
    {
        await using var kit = new TestKit(host);
        var (grains, storage, retention) = (Grains, Storage, Retention);
        // A registration today, as the job's first pending day.
        await kit.Worker("Zhou Ba " + Guid.NewGuid().ToString("N")[..8], connect: false);
        // Tomorrow's day as a build before the retention index left it: its list in the day grain's own record (a day no
        // grain of this host has opened yet), naming a worker record already filed, so only that list reaches it.
        var tomorrow = host.Clock.GetUtcNow().UtcDateTime.Date.AddDays(1);
        var (workerId, name) = ("w-" + Guid.NewGuid().ToString("N"), "Wu Jiu " + Guid.NewGuid().ToString("N")[..8]);
        await storage.WriteStateAsync("worker", GrainId.Create("worker", workerId),
            new GrainState<Hotline.Grains.WorkerState>(new() { DisplayName = name, RetentionFiled = true }));
        await storage.WriteStateAsync("retention-day", GrainId.Create("retentionday", Hotline.Grains.RetentionGrain.DayKey(tomorrow)),
            new GrainState<Hotline.Grains.RetentionDayState>(new() { WorkerIds = [workerId] }));

        host.Clock.Advance(TimeSpan.FromDays(3));
        await retention.RunDue(1);
        Assert.Null(await grains.GetGrain<IWorkerGrain>(workerId).GetDisplayName());
        Assert.False(await DataFiles.Contain(host.DataPath, name, utf16Too: true), "the worker's name is still in a file of the store");
    }

    /// <summary>A stored worker record whose name is not text: a worker grain fails to load it.</summary>
    public sealed class Unreadable
    {
        public int[] DisplayName { get; set; } = [1, 2, 3];
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
        // The second caller hangs up: a call left waiting would, once the clock moves, be widened to every lawyer and go
        // before the consultations of the tests that run after this one in the host.
        var hangup = await kit.Raw(HttpMethod.Post, $"/api/hotline/calls/{JsonDocument.Parse(again.Body).RootElement.GetProperty("id").GetString()}/hangup",
            json: new { callback = false }, apiKey: HotlineHost.GatewayKey);
        Assert.Equal(HttpStatusCode.OK, hangup.Status);

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

/// <summary>The phone line when the gateway fails: failed intakes, a gateway gone silent, a hangup during the call.</summary>
[Collection(ClockCollection.Name)]
public sealed class FailedIntakeTests(ClockHost host)
{
    private static async Task<string> Intake(TestKit kit, string category, string dialect)
    {
        var call = await kit.Raw(HttpMethod.Post, "/api/hotline/calls",
            json: new { callerNumber = "137" + Random.Shared.Next(10_000_000, 99_999_999), category, dialect }, apiKey: HotlineHost.GatewayKey);
        Assert.Equal(HttpStatusCode.Created, call.Status);
        return System.Text.Json.JsonDocument.Parse(call.Body).RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>A lawyer of this combination, capacity one (a call fills it), available.</summary>
    private static async Task<TestLawyer> OnDuty(TestKit kit, string category, string dialect)
    {
        var lawyer = await kit.Lawyer([category], dialect, capacity: 1);
        await lawyer.Hub.Invoke<Lawyer>("SetAvailability", ["available"]);
        return lawyer;
    }

    /// <summary>The lawyer takes the call once it is offered and closes it; whether they were to call back.</summary>
    private static async Task<bool> TakeAndClose(TestLawyer lawyer, string id) => (await TestKit.TakeAndClose(lawyer, id)).Consultation.Callback;

    [Fact]
    public async Task A_call_its_gateway_stopped_polling_is_taken_as_a_callback_and_a_polled_one_is_bridged()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var silent = await Intake(kit, category, dialect);
        var polled = await Intake(kit, category, dialect);
        // A minute passes. The gateway keeps asking about one call (its caller holds); of the other it never asks again
        // (the gateway crashed, or the caller's hangup was lost on the way).
        host.Clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(HttpStatusCode.OK, (await kit.Raw(HttpMethod.Get, $"/api/hotline/calls/{polled}", apiKey: HotlineHost.GatewayKey)).Status);

        // The lawyer who takes the silent call is told to call back (the number is theirs while it is active). Before, it
        // was a live call waiting for a bridge that would never come.
        var lawyer = await OnDuty(kit, category, dialect);
        Assert.True(await TakeAndClose(lawyer, silent));
        Assert.False(await TakeAndClose(lawyer, polled));
    }

    [Fact]
    public async Task A_caller_who_hangs_up_during_the_call_is_called_back_if_it_goes_back_to_the_queue()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var first = await OnDuty(kit, category, dialect);
        var id = await Intake(kit, category, dialect);
        await first.Hub.Offers.WaitAsync(o => o.ConsultationId == id, TestKit.Wait);
        await first.Hub.AcceptOffer(id);

        // The caller hangs up while talking to the lawyer: the call stays theirs, marked a callback.
        var hangup = await kit.Raw(HttpMethod.Post, $"/api/hotline/calls/{id}/hangup", json: new { callback = false }, apiKey: HotlineHost.GatewayKey);
        Assert.Equal(HttpStatusCode.OK, hangup.Status);
        var view = System.Text.Json.JsonDocument.Parse(hangup.Body).RootElement;
        Assert.Equal(("active", true), (view.GetProperty("status").GetString(), view.GetProperty("callback").GetBoolean()));

        // It goes back to the queue (here: the admin requeues it): the next lawyer calls back. Before, it went back as a
        // live call that nobody would ever bridge.
        var second = await OnDuty(kit, category, dialect);
        await first.Hub.Invoke<Lawyer>("SetAvailability", ["away"]);
        Assert.Equal(HttpStatusCode.OK, (await kit.Raw(HttpMethod.Post, $"/api/admin/consultations/{id}/requeue", await kit.AdminToken(), new { toLawyerId = second.Id })).Status);
        Assert.True(await TakeAndClose(second, id));
    }

    [Fact]
    public async Task Intakes_that_failed_during_an_outage_free_their_slots_once_they_cannot_complete()
    {
        await using var kit = new TestKit(host);
        var number = "139" + Random.Shared.Next(10_000_000, 99_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Task<(HttpStatusCode Status, string? ContentType, string Body)> Call() =>
            kit.Raw(HttpMethod.Post, "/api/hotline/calls", json: new { callerNumber = number, category = "other", dialect = "english" }, apiKey: HotlineHost.GatewayKey);

        // The router cannot be reached while this caller rings three times: each intake fails after its slot was taken
        // (its fate is unknown to the endpoint, so the slot is kept while the open might still complete).
        using (host.CallFaults.Fail("IRouterGrain.Enqueue"))
            for (var i = 0; i < 3; i++) Assert.NotEqual(HttpStatusCode.Created, (await Call()).Status);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await Call()).Status);

        // Past the time an open can still be in flight, the slots of opens that never stored anything are free again.
        // Before, they counted for good: this number could never reach the hotline again.
        host.Clock.Advance(Hotline.Grains.OpenConsultationsGrain.OpenInFlight + TimeSpan.FromSeconds(1));
        var call = await Call();
        Assert.Equal(HttpStatusCode.Created, call.Status);
        var id = System.Text.Json.JsonDocument.Parse(call.Body).RootElement.GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.OK, (await kit.Raw(HttpMethod.Post, $"/api/hotline/calls/{id}/hangup", json: new { callback = false }, apiKey: HotlineHost.GatewayKey)).Status);
    }
}

