namespace Hotline.Api.Tests;

/// <summary>
/// Issue 3, test 9: bad input gets its stable code, changes nothing, and the server keeps serving others.
/// A well-formed but unknown consultation id answers <c>not_found</c> (ids are 128-bit random, so this discloses nothing).
/// </summary>
[Collection(MainCollection.Name)]
public sealed class BadInputTests(HotlineHost host)
{
    private static readonly TimeSpan Wait = TestKit.Wait;

    private static async Task<(TestKit Kit, TestWorker Worker, TestLawyer Lawyer, Consultation C)> Active(HotlineHost host)
    {
        var kit = new TestKit(host);
        var (lawyer, worker, c) = await kit.ActiveCase();
        await worker.Hub.SendMessage(c.Id, "first");
        return (kit, worker, lawyer, c);
    }

    /// <summary>Nothing changed, and the consultation still works for both sides.</summary>
    private static async Task AssertUnchangedAndServing(TestKit kit, TestWorker worker, TestLawyer lawyer, Consultation c, long lastSeq, string status = "active")
    {
        var view = await kit.Rest.GetConsultation(worker.Token, c.Id);
        Assert.Equal(lastSeq, view.LastSeq);
        Assert.Equal(status, view.Status);
        var messages = await kit.Rest.GetMessages(worker.Token, c.Id);
        Assert.Equal(Enumerable.Range(1, (int)lastSeq).Select(i => (long)i), messages.Select(m => m.Seq));
        if (status != "active") return;
        var ack = await lawyer.Hub.SendMessage(c.Id, "still serving");
        Assert.Equal(lastSeq + 1, ack.Seq);
        await worker.Hub.Messages.WaitAsync(m => m.ConsultationId == c.Id && m.Seq == ack.Seq, Wait);
    }

    [Fact]
    public async Task Edge_dates_blank_lawyer_ids_and_bidi_overrides_are_validation_failed_and_change_nothing()
    {
        var (kit, worker, lawyer, c) = await Active(host);
        await using var _ = kit;
        var admin = await kit.AdminToken();
        // Dates at the ends of the calendar: the report's date arithmetic failed as internal_error (500).
        foreach (var query in new[] { "to=0001-01-03", "from=9999-12-31&to=9999-12-31" })
            Assert.Equal((400, "validation_failed"), await TestKit.RestError(() => kit.Rest.Send<object>(HttpMethod.Get, "/api/admin/reports/range?" + query, admin)));
        // A blank lawyer id: Orleans refuses a blank grain key, which answered internal_error.
        foreach (var blank in new[] { "", " " })
        {
            Assert.Equal("validation_failed", await TestKit.HubError(() => lawyer.Hub.Invoke<Consultation>("Transfer", [c.Id, new { toLawyerId = blank }])));
            Assert.Equal((400, "validation_failed"), await TestKit.RestError(() =>
                kit.Rest.Send<Consultation>(HttpMethod.Post, $"/api/admin/consultations/{c.Id}/requeue", admin, new { toLawyerId = blank })));
        }
        // A right-to-left override in a lawyer's display name (shown to workers) or a rating comment, as in every other
        // text field. Before, both were stored.
        const string spoof = "Lawyer \u202Egnp.exe";
        Assert.Equal((400, "validation_failed"), await TestKit.RestError(() => kit.Rest.UpdateLawyer(admin, lawyer.Id, new { displayName = spoof })));
        Assert.Equal((400, "validation_failed"), await TestKit.RestError(() =>
            kit.Rest.CreateLawyer(admin, "t-bidi-" + Guid.NewGuid().ToString("N")[..6], "password123", spoof, [c.Category], [c.Dialect], 3)));
        Assert.DoesNotContain(await kit.Rest.GetLawyers(admin), l => l.DisplayName.Contains('\u202E'));
        await AssertUnchangedAndServing(kit, worker, lawyer, c, 1);
        await TestKit.CloseAnswered(lawyer, c.Id);
        Assert.Equal("validation_failed", await TestKit.HubError(() => worker.Hub.Invoke<Consultation>("RateConsultation", [c.Id, 5, spoof])));
        Assert.Null((await kit.Rest.GetConsultation(worker.Token, c.Id)).Rating);
    }

    [Fact]
    public async Task Message_text_too_long_or_empty_is_validation_failed()
    {
        var (kit, worker, lawyer, c) = await Active(host);
        await using var _ = kit;
        Assert.Equal("validation_failed", await TestKit.HubError(() => worker.Hub.SendMessage(c.Id, new string('x', 4001))));
        Assert.Equal("validation_failed", await TestKit.HubError(() => worker.Hub.SendMessage(c.Id, "")));
        Assert.Equal("validation_failed", await TestKit.HubError(() => worker.Hub.SendMessage(c.Id, "   ")));
        Assert.Equal("validation_failed", await TestKit.HubError(() => lawyer.Hub.SendMessage(c.Id, new string('y', 4001))));
        Assert.Equal("validation_failed", await TestKit.HubError(() => worker.Hub.SendMessage(c.Id, "ok text", clientMessageId: "")));
        Assert.Equal("validation_failed", await TestKit.HubError(() => worker.Hub.SendMessage(c.Id, "ok text", clientMessageId: new string('k', 101))));
        // Exactly 4000 is fine.
        Assert.Equal(2, (await worker.Hub.SendMessage(c.Id, new string('z', 4000))).Seq);
        await AssertUnchangedAndServing(kit, worker, lawyer, c, 2);
    }

    [Fact]
    public async Task Unknown_and_malformed_consultation_ids()
    {
        var (kit, worker, lawyer, c) = await Active(host);
        await using var _ = kit;
        var unknown = "c-" + Guid.NewGuid().ToString("N");
        Assert.Equal("not_found", await TestKit.HubError(() => worker.Hub.JoinConsultation(unknown)));
        Assert.Equal("not_found", await TestKit.HubError(() => worker.Hub.SendMessage(unknown, "hello")));
        Assert.Equal("not_found", await TestKit.HubError(() => lawyer.Hub.AcceptOffer(unknown)));
        Assert.Equal((404, "not_found"), await TestKit.RestError(() => kit.Rest.GetConsultation(worker.Token, unknown)));
        Assert.Equal((404, "not_found"), await TestKit.RestError(() => kit.Rest.GetMessages(worker.Token, unknown)));

        foreach (var bad in new[] { "nonsense", "c-123", "C-" + Guid.NewGuid().ToString("N"), "c-" + Guid.NewGuid().ToString("N").ToUpperInvariant(), "c-" + new string('g', 32), "../../etc/passwd" })
        {
            Assert.Equal("validation_failed", await TestKit.HubError(() => worker.Hub.JoinConsultation(bad)));
            Assert.Equal("validation_failed", await TestKit.HubError(() => worker.Hub.SendMessage(bad, "hi")));
            Assert.Equal("validation_failed", await TestKit.HubError(() => lawyer.Hub.AcceptOffer(bad)));
            Assert.Equal("validation_failed", await TestKit.HubError(() => lawyer.Hub.Invoke("DeclineOffer", bad)));
            var rest = await kit.Raw(HttpMethod.Get, "/api/consultations/" + Uri.EscapeDataString(bad), worker.Token);
            Assert.Equal(HttpStatusCode.BadRequest, rest.Status);
            Assert.Equal("validation_failed", TestKit.ProblemCode(rest.Body));
        }
        Assert.Equal("validation_failed", await TestKit.HubError(() => worker.Hub.JoinConsultation(null!)));
        Assert.Equal("validation_failed", await TestKit.HubError(() => worker.Hub.JoinConsultation(c.Id, -1)));
        Assert.Equal((400, "validation_failed"), await TestKit.RestError(() => kit.Rest.GetMessages(worker.Token, c.Id, afterSeq: -1)));
        Assert.Equal((400, "validation_failed"), await TestKit.RestError(() => kit.Rest.GetMessages(worker.Token, c.Id, limit: 0)));
        Assert.Equal((400, "validation_failed"), await TestKit.RestError(() => kit.Rest.GetMessages(worker.Token, c.Id, limit: 5000)));
        await AssertUnchangedAndServing(kit, worker, lawyer, c, 1);
    }

    [Fact]
    public async Task Illegal_transitions_forbidden_or_conflict()
    {
        var (kit, worker, lawyer, c) = await Active(host);
        await using var _ = kit;
        var (category, dialect) = TestKit.Combo();
        var other = await kit.Lawyer([category], dialect);
        // Accepting an offer that is not yours.
        Assert.Equal("forbidden", await TestKit.HubError(() => other.Hub.AcceptOffer(c.Id)));
        Assert.Equal("conflict", await TestKit.HubError(() => other.Hub.Invoke("DeclineOffer", c.Id)));
        // Accepting again is harmless (same lawyer, already active).
        Assert.Equal("active", (await lawyer.Hub.AcceptOffer(c.Id)).Consultation.Status);
        // A bad resolution or rating changes nothing.
        Assert.Equal("validation_failed", await TestKit.HubError(() => lawyer.Hub.Invoke<Consultation>("CloseConsultation", [c.Id, "won", null])));
        Assert.Equal("validation_failed", await TestKit.HubError(() => worker.Hub.Invoke<Consultation>("CloseConsultation", [c.Id, 6, null])));
        Assert.Equal("validation_failed", await TestKit.HubError(() => worker.Hub.Invoke<Consultation>("CloseConsultation", [c.Id, 0, null])));
        Assert.Equal("validation_failed", await TestKit.HubError(() => lawyer.Hub.Invoke<Consultation>("Transfer", [c.Id, new TransferRequest()])));
        await AssertUnchangedAndServing(kit, worker, lawyer, c, 1);

        // Closed: sending is a conflict, for both sides; closing again too.
        await lawyer.Hub.Invoke<Consultation>("CloseConsultation", [c.Id, "no_response", null]);
        Assert.Equal("conflict", await TestKit.HubError(() => worker.Hub.SendMessage(c.Id, "are you there?")));
        Assert.Equal("conflict", await TestKit.HubError(() => lawyer.Hub.SendMessage(c.Id, "one more thing")));
        Assert.Equal("conflict", await TestKit.HubError(() => lawyer.Hub.Invoke<Consultation>("CloseConsultation", [c.Id, "answered", null])));
        Assert.Equal("conflict", await TestKit.HubError(() => lawyer.Hub.Invoke<Consultation>("Transfer", [c.Id, new TransferRequest(ToCategory: category)])));
        Assert.Equal("conflict", await TestKit.HubError(() => lawyer.Hub.AcceptOffer(c.Id)));
        await AssertUnchangedAndServing(kit, worker, lawyer, c, 2, "closed");
    }

    [Fact]
    public async Task Bad_enum_values_and_capacities_are_validation_failed()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var lawyer = await kit.Lawyer([category], dialect, capacity: 4);
        foreach (var status in new[] { "busy", "Available", "", "offline " })
            Assert.Equal("validation_failed", await TestKit.HubError(() => lawyer.Hub.Invoke<Lawyer>("SetAvailability", [status])));
        Assert.Equal("validation_failed", await TestKit.HubError(() => lawyer.Hub.Invoke<Lawyer>("SetAvailability", [null])));
        foreach (var n in new[] { 0, 11, -1 })
            Assert.Equal("validation_failed", await TestKit.HubError(() => lawyer.Hub.Invoke<Lawyer>("SetCapacity", [n])));
        var me = await kit.RosterEntry(lawyer.Id);
        Assert.Equal(4, me.Capacity);
        Assert.Equal("available", me.Status);
        Assert.Equal(10, (await lawyer.Hub.Invoke<Lawyer>("SetCapacity", [10])).Capacity);
        Assert.Equal("away", (await lawyer.Hub.Invoke<Lawyer>("SetAvailability", ["away"])).Status);

        // REST: bad channel, category, dialect, summary; capacity 0/11 on lawyer creation.
        var worker = await kit.Worker();
        foreach (var (cat, dia, summary, channel) in new (string?, string?, string?, string?)[]
                 {
                     (category, dialect, "x", "fax"), (category, dialect, "x", "phone"), ("astrology", dialect, "x", null), (category, "klingon", "x", null),
                     (category, dialect, "", null), (category, dialect, new string('s', 2001), null), (null, dialect, "x", null),
                 })
            Assert.Equal((400, "validation_failed"), await TestKit.RestError(() => kit.Rest.OpenConsultation(worker.Token, cat!, dia!, summary!, channel)));
        Assert.Empty(await kit.Rest.Send<IReadOnlyList<Consultation>>(HttpMethod.Get, "/api/workers/me/consultations", worker.Token));
        var admin = await kit.AdminToken();
        foreach (var capacity in new[] { 0, 11 })
            Assert.Equal((400, "validation_failed"), await TestKit.RestError(() => kit.Rest.CreateLawyer(admin, "t-cap-" + capacity + Guid.NewGuid().ToString("N")[..6], "password123", "Cap", [category], [dialect], capacity)));
        Assert.Equal((400, "validation_failed"), await TestKit.RestError(() => kit.Rest.CreateLawyer(admin, "t-bad-skill", "password123", "Bad", ["astrology"], [dialect], 3)));
        Assert.Equal((409, "conflict"), await TestKit.RestError(() => kit.Rest.CreateLawyer(admin, lawyer.Username, "password123", "Dup", [category], [dialect], 3)));
        Assert.DoesNotContain(await kit.Rest.GetLawyers(admin), l => l.Username.StartsWith("t-cap-", StringComparison.Ordinal) || l.Username == "t-bad-skill");
        // Malformed JSON body.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/consultations") { Content = new StringContent("{not json", System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", worker.Token);
        using var response = await kit.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("validation_failed", TestKit.ProblemCode(await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task Oversized_signalr_frame_closes_that_connection_only()
    {
        var (kit, worker, lawyer, c) = await Active(host);
        await using var _ = kit;
        var raw = new HubConnectionBuilder()
            .WithUrl(new Uri(kit.BaseUrl, "/hubs/worker"), o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(worker.Token);
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
            })
            .Build();
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        raw.Closed += e => { closed.TrySetResult(e); return Task.CompletedTask; };
        await raw.StartAsync();
        var send = raw.InvokeAsync<object>("SendMessage", c.Id, Guid.NewGuid().ToString("N"), new string('x', 70 * 1024));
        await closed.Task.WaitAsync(Wait);
        await Assert.ThrowsAnyAsync<Exception>(() => send);
        Assert.Equal(HubConnectionState.Disconnected, raw.State);
        await raw.DisposeAsync();

        // The worker's other session and the lawyer are unaffected; nothing was stored.
        await AssertUnchangedAndServing(kit, worker, lawyer, c, 1);
        Assert.Equal(3, (await worker.Hub.SendMessage(c.Id, "after the big one")).Seq);
    }
}

/// <summary>Floods, with low limits (own host).</summary>
[Collection(FloodCollection.Name)]
public sealed class FloodTests(FloodHost host)
{
    [Fact]
    public async Task Hub_calls_beyond_the_per_connection_limit_are_rate_limited_and_others_are_served()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var flooder = await kit.Worker();
        var c = await kit.Open(flooder, category, dialect);
        var calls = Enumerable.Range(0, 30).Select(async _ =>
        {
            try
            {
                await flooder.Hub.Invoke("Typing", c.Id);
                return "ok";
            }
            catch (Microsoft.AspNetCore.SignalR.HubException e)
            {
                return e.Message[(e.Message.IndexOf("HubException: ", StringComparison.Ordinal) + 14)..].Split(':')[0];
            }
        }).ToList();
        var results = await Task.WhenAll(calls);
        Assert.Contains("rate_limited", results);
        Assert.Contains("ok", results);
        Assert.All(results, r => Assert.Contains(r, new[] { "ok", "rate_limited" }));
        Assert.InRange(results.Count(r => r == "ok"), 1, 10);

        // Another worker on its own connection is served at once.
        var other = await kit.Worker();
        var mine = await kit.Open(other, category, dialect);
        Assert.Equal(mine.Id, (await other.Hub.JoinConsultation(mine.Id)).Consultation.Id);
        // The flooder's bucket refills.
        var ok = await Retry(() => flooder.Hub.JoinConsultation(c.Id));
        Assert.Equal(c.Id, ok.Consultation.Id);
    }

    [Fact]
    public async Task Rest_calls_beyond_the_per_user_limit_get_429_problem_rate_limited()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var flooder = await kit.Rest.CreateWorker();
        var calls = Enumerable.Range(0, 20).Select(_ => kit.Raw(HttpMethod.Get, "/api/workers/me/consultations", flooder.Token)).ToList();
        var results = await Task.WhenAll(calls);
        Assert.Contains(results, r => r.Status == HttpStatusCode.OK);
        var limited = results.Where(r => r.Status == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(limited);
        Assert.All(limited, r =>
        {
            Assert.Equal("application/problem+json", r.ContentType);
            Assert.Equal("rate_limited", TestKit.ProblemCode(r.Body));
        });
        // A limited POST changes nothing: after the flood, the flooder has no consultation.
        var post = await kit.Raw(HttpMethod.Post, "/api/consultations", flooder.Token, new { category, dialect, summary = "flood" });
        var other = await kit.Rest.CreateWorker();
        var served = await Retry(() => kit.Rest.OpenConsultation(other.Token, category, dialect, "I am not flooding"));
        Assert.Equal("queued", served.Status is "offered" ? "queued" : served.Status);
        var mine = await Retry(() => kit.Rest.Send<IReadOnlyList<Consultation>>(HttpMethod.Get, "/api/workers/me/consultations", flooder.Token));
        Assert.Equal(post.Status == HttpStatusCode.Created ? 1 : 0, mine.Count);
    }

    private static async Task<T> Retry<T>(Func<Task<T>> call)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (attempt < 20 && (e.Message.Contains("rate_limited", StringComparison.Ordinal) || e is HotlineApiException { Status: 429 }))
            {
                await Task.Delay(250); // the bucket refills over time: there is no event for it
            }
        }
    }
}
