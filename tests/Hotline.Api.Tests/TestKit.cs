using Microsoft.AspNetCore.SignalR;

namespace Hotline.Api.Tests;

/// <summary>A worker with a token and a live worker-hub session.</summary>
public sealed record TestWorker(string Id, string Token, HotlineConnection Hub);

/// <summary>A lawyer created for the test, logged in, with a live lawyer-hub session (if connected).</summary>
public sealed record TestLawyer(string Id, string Username, string Token, HotlineConnection Hub);

/// <summary>
/// A fresh category and dialect, a connected lawyer for them and a connected worker whose consultation that lawyer has
/// accepted: the opening most tests of an active consultation share.
/// </summary>
public sealed record ActiveCase(TestLawyer Lawyer, TestWorker Worker, Consultation Consultation, string Category, string Dialect, JoinResult Accepted)
{
    public void Deconstruct(out TestLawyer lawyer, out TestWorker worker, out Consultation consultation)
        => (lawyer, worker, consultation) = (Lawyer, Worker, Consultation);

    public void Deconstruct(out TestLawyer lawyer, out TestWorker worker, out Consultation consultation, out string category)
        => (lawyer, worker, consultation, category) = (Lawyer, Worker, Consultation, Category);

    public void Deconstruct(out TestLawyer lawyer, out TestWorker worker, out Consultation consultation, out string category, out string dialect)
        => (lawyer, worker, consultation, category, dialect) = (Lawyer, Worker, Consultation, Category, Dialect);
}

/// <summary>Per-test helpers; disposes every connection it opened.</summary>
public sealed class TestKit(HotlineHost host) : IAsyncDisposable
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    public const string Password = "lawyer-pass-12351";

    /// <summary>Test-only categories added to the host's catalog copy, so tests never run out of unique combinations.</summary>
    public static readonly string[] ExtraCategories = Enumerable.Range(1, 56).Select(i => $"test_{i:D2}").ToArray();

    private static readonly string[] Categories =
        ["unpaid_wages", "labor_contract", "dismissal", "work_injury", "social_insurance", "occupational_safety", "mediation_arbitration", "other",
         .. ExtraCategories];
    // No Mandarin: widening after 60 s also accepts Mandarin speakers, so test lawyers never speak it.
    private static readonly string[] Dialects = ["minnan", "fuzhou", "hakka", "puxian", "cantonese", "english"];
    private static int _nextCombo;

    private readonly List<HotlineConnection> _connections = [];

    public HotlineRest Rest => host.Rest;
    public HttpClient Http => host.Http;
    public Uri BaseUrl => host.BaseUrl;
    public Task<string> AdminToken() => host.AdminToken();

    /// <summary>
    /// <paramref name="count"/> categories that share one dialect, never used by another test of this process, so that
    /// queued leftovers of other tests never match this test's lawyers.
    /// </summary>
    public static (string[] Categories, string Dialect) Combos(int count = 1)
    {
        while (true)
        {
            var start = Interlocked.Add(ref _nextCombo, count) - count;
            var dialect = start / Categories.Length;
            if (dialect >= Dialects.Length) throw new InvalidOperationException("out of unique category/dialect combinations");
            if ((start + count - 1) / Categories.Length != dialect) continue; // would span two dialects: take the next block
            return (Enumerable.Range(start % Categories.Length, count).Select(i => Categories[i]).ToArray(), Dialects[dialect]);
        }
    }

    public static (string Category, string Dialect) Combo()
    {
        var (c, d) = Combos(1);
        return (c[0], d);
    }

    public async Task<TestWorker> Worker(string? name = null, bool connect = true)
    {
        var token = await Rest.CreateWorker(name ?? "worker");
        var hub = HotlineConnection.Worker(BaseUrl, token.Token);
        if (connect) await Start(hub);
        return new TestWorker(token.WorkerId, token.Token, hub);
    }

    public async Task<TestLawyer> Lawyer(string[] skills, string dialect, int capacity = 3, bool connect = true, string? name = null)
    {
        var username = "t-" + Guid.NewGuid().ToString("N")[..10];
        var created = await Rest.CreateLawyer(await AdminToken(), username, Password, name ?? "Lawyer " + username, skills, [dialect], capacity);
        var login = await Rest.Login(username, Password);
        Assert.Equal(created.Id, login.UserId);
        Assert.Equal("lawyer", login.Role);
        var hub = HotlineConnection.Lawyer(BaseUrl, login.Token);
        if (connect) await Start(hub);
        return new TestLawyer(login.UserId, username, login.Token, hub);
    }

    /// <summary>Every connection this kit starts records <see cref="HotlineConnection.RawEvents"/> (for tests of the wire shape).</summary>
    public bool RecordRawEvents { get; init; }

    public async Task<HotlineConnection> Start(HotlineConnection hub)
    {
        _connections.Add(hub);
        if (RecordRawEvents) hub.RecordRawEvents = true;
        using var cts = new CancellationTokenSource(Wait);
        await hub.StartAsync(cts.Token);
        return hub;
    }

    public Task<Consultation> Open(TestWorker worker, string category, string dialect, string summary = "My boss has not paid me for three months")
        => Rest.OpenConsultation(worker.Token, category, dialect, summary);

    /// <summary>A consultation offered to and accepted by <paramref name="lawyer"/> (who must be the only eligible one online).</summary>
    public async Task<(Consultation Consultation, JoinResult Accepted)> OpenAndAccept(TestWorker worker, TestLawyer lawyer, string category, string dialect)
    {
        var c = await Open(worker, category, dialect);
        await lawyer.Hub.Offers.WaitAsync(o => o.ConsultationId == c.Id, Wait);
        var accepted = await lawyer.Hub.AcceptOffer(c.Id);
        await worker.Hub.Assignments.WaitAsync(a => a.ConsultationId == c.Id, Wait);
        return (c, accepted);
    }

    /// <summary>The lawyer closes the consultation as answered (a test ending what it opened, so it waits for no one later).</summary>
    public static Task<Consultation> CloseAnswered(TestLawyer lawyer, string consultationId) =>
        lawyer.Hub.Invoke<Consultation>("CloseConsultation", [consultationId, "answered", "closed by the test", null]);

    /// <summary>The lawyer takes the consultation once it is offered to them and closes it answered; what the accept answered.</summary>
    public static async Task<JoinResult> TakeAndClose(TestLawyer lawyer, string consultationId, TimeSpan? wait = null)
    {
        await lawyer.Hub.Offers.WaitAsync(o => o.ConsultationId == consultationId, wait ?? Wait);
        var taken = await lawyer.Hub.AcceptOffer(consultationId);
        await CloseAnswered(lawyer, consultationId);
        return taken;
    }

    /// <summary>See <see cref="Api.Tests.ActiveCase"/>.</summary>
    public async Task<ActiveCase> ActiveCase()
    {
        var (category, dialect) = Combo();
        var lawyer = await Lawyer([category], dialect);
        var worker = await Worker();
        var (c, accepted) = await OpenAndAccept(worker, lawyer, category, dialect);
        return new ActiveCase(lawyer, worker, c, category, dialect, accepted);
    }

    /// <summary>
    /// Two categories of one fresh dialect, a lawyer for each, and a worker whose consultation in the first category
    /// <c>From</c> has accepted: the opening of the transfer tests.
    /// </summary>
    public async Task<(TestLawyer From, TestLawyer To, TestWorker Worker, Consultation Consultation, string[] Categories, string Dialect)> TransferCase()
    {
        var (categories, dialect) = Combos(2);
        var from = await Lawyer([categories[0]], dialect);
        var to = await Lawyer([categories[1]], dialect);
        var worker = await Worker();
        var (c, _) = await OpenAndAccept(worker, from, categories[0], dialect);
        return (from, to, worker, c, categories, dialect);
    }

    public async Task<Lawyer> RosterEntry(string lawyerId)
        => (await Rest.GetLawyers(await AdminToken())).Single(l => l.Id == lawyerId);

    /// <summary>The stable code of a failed hub call (<c>HubException: code: detail</c>).</summary>
    public static async Task<string> HubError(Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<HubException>(call);
        var message = e.Message;
        var at = message.IndexOf("HubException: ", StringComparison.Ordinal);
        var rest = at >= 0 ? message[(at + "HubException: ".Length)..] : message;
        var colon = rest.IndexOf(':');
        Assert.True(colon > 0, "hub error without a code: " + message);
        return rest[..colon];
    }

    /// <summary>The status and problem <c>code</c> of a failed REST call.</summary>
    public static async Task<(int Status, string Code)> RestError(Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<HotlineApiException>(call);
        return (e.Status, e.Code);
    }

    /// <summary>A raw request; returns status, content type and body.</summary>
    public async Task<(HttpStatusCode Status, string? ContentType, string Body)> Raw(HttpMethod method, string path, string? bearer = null,
        object? json = null, string? apiKey = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (apiKey is not null) request.Headers.Add("X-Api-Key", apiKey);
        if (json is not null) request.Content = System.Net.Http.Json.JsonContent.Create(json, options: HotlineRest.Json);
        using var response = await Http.SendAsync(request);
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
    }

    public static string? ProblemCode(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("code", out var c) ? c.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// One more consultation closed today, between two snapshots of the shared host: today is the local day of
    /// Hotline:TimeZone (Asia/Shanghai), so a run across its midnight (16:00 UTC) starts the count again.
    /// </summary>
    public static void AssertClosedTodayGrewByOne(MetricsSnapshot before, MetricsSnapshot after)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        var sameDay = TimeZoneInfo.ConvertTime(before.At, zone).Date == TimeZoneInfo.ConvertTime(after.At, zone).Date;
        if (sameDay) Assert.Equal(before.Consultations.ClosedToday + 1, after.Consultations.ClosedToday);
        else Assert.InRange(after.Consultations.ClosedToday, 0, 1); // closed before or after that midnight
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _connections)
        {
            try { await c.DisposeAsync(); } catch (Exception) { }
        }
    }
}
