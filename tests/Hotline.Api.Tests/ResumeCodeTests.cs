namespace Hotline.Api.Tests;

/// <summary>Issue 11 item 5: a short resume code continues a worker's consultation on another device.</summary>
[Collection(MainCollection.Name)]
public sealed class ResumeCodeTests(HotlineHost host)
{
    [Fact]
    public async Task Code_continues_the_consultation_on_another_device_once()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var worker = await kit.Worker(connect: false);
        var c = await kit.Open(worker, category, dialect);

        var issued = await ResumeHttp.Issue(kit.Http, worker.Token);
        Assert.Matches("^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$", issued.Code);
        Assert.InRange(issued.ExpiresAt, DateTimeOffset.UtcNow.AddMinutes(5), DateTimeOffset.UtcNow.AddMinutes(11));

        // The other device types it, in lower case and without the dash.
        var (status, body) = await ResumeHttp.Redeem(kit.Http, issued.Code.Replace("-", "").ToLowerInvariant());
        Assert.Equal(HttpStatusCode.OK, status);
        var token = JsonSerializer.Deserialize<WorkerToken>(body, HotlineRest.Json)!;
        Assert.Equal(worker.Id, token.WorkerId);
        var mine = await kit.Rest.Send<IReadOnlyList<Consultation>>(HttpMethod.Get, "/api/workers/me/consultations", token.Token);
        Assert.Contains(mine, x => x.Id == c.Id);
        var hub = await kit.Start(HotlineConnection.Worker(kit.BaseUrl, token.Token));
        Assert.Equal(c.Id, (await hub.JoinConsultation(c.Id)).Consultation.Id);

        // Used once.
        Assert.Equal((HttpStatusCode.NotFound, "not_found"), ResumeHttp.Problem(await ResumeHttp.Redeem(kit.Http, issued.Code)));
    }

    [Fact]
    public async Task Wrong_code_changes_nothing_and_revoked_or_replaced_codes_stop_working()
    {
        await using var kit = new TestKit(host);
        var worker = await kit.Worker(connect: false);
        var first = await ResumeHttp.Issue(kit.Http, worker.Token);

        Assert.Equal((HttpStatusCode.BadRequest, "validation_failed"), ResumeHttp.Problem(await ResumeHttp.Redeem(kit.Http, "not a code!")));
        var wrong = first.Code[..^1] + (first.Code[^1] == '7' ? '8' : '7');
        Assert.Equal((HttpStatusCode.NotFound, "not_found"), ResumeHttp.Problem(await ResumeHttp.Redeem(kit.Http, wrong)));

        // The wrong guesses used up or spoiled nothing: the right code still works.
        Assert.Equal(HttpStatusCode.OK, (await ResumeHttp.Redeem(kit.Http, first.Code)).Status);

        // A newer code replaces the one before.
        var second = await ResumeHttp.Issue(kit.Http, worker.Token);
        var third = await ResumeHttp.Issue(kit.Http, worker.Token);
        Assert.Equal((HttpStatusCode.NotFound, "not_found"), ResumeHttp.Problem(await ResumeHttp.Redeem(kit.Http, second.Code)));

        using (var revoke = new HttpRequestMessage(HttpMethod.Delete, "/api/workers/me/resume-code"))
        {
            revoke.Headers.Authorization = new AuthenticationHeaderValue("Bearer", worker.Token);
            Assert.Equal(HttpStatusCode.NoContent, (await kit.Http.SendAsync(revoke)).StatusCode);
        }
        Assert.Equal((HttpStatusCode.NotFound, "not_found"), ResumeHttp.Problem(await ResumeHttp.Redeem(kit.Http, third.Code)));

        // Only workers get codes.
        using var anonymous = new HttpRequestMessage(HttpMethod.Post, "/api/workers/me/resume-code");
        Assert.Equal(HttpStatusCode.Unauthorized, (await kit.Http.SendAsync(anonymous)).StatusCode);
    }
}

/// <summary>Expiry and the per-address limit, on the host with low limits and 1 s codes.</summary>
[Collection(FloodCollection.Name)]
public sealed class ResumeCodeLimitTests(FloodHost host)
{
    [Fact]
    public async Task Code_expires()
    {
        await using var kit = new TestKit(host);
        var worker = await kit.Worker(connect: false);
        var issued = await ResumeHttp.Issue(kit.Http, worker.Token, from: "198.51.100.1");
        // The code lives 1 s on this host: wait until the server's own expiry time has passed.
        var left = issued.ExpiresAt - DateTimeOffset.UtcNow;
        if (left > TimeSpan.Zero) await Task.Delay(left + TimeSpan.FromMilliseconds(200));
        Assert.Equal((HttpStatusCode.NotFound, "not_found"), ResumeHttp.Problem(await ResumeHttp.Redeem(kit.Http, issued.Code, from: "198.51.100.1")));
    }

    [Fact]
    public async Task Guessing_is_rate_limited_per_address()
    {
        await using var kit = new TestKit(host);
        var guesser = "198.51.100.2";
        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
            answers.Add((await ResumeHttp.Redeem(kit.Http, $"AAAA-AAA{i}", from: guesser)).Status);
        // 5 a minute: the first are plain misses, then the address is refused.
        Assert.All(answers.Take(5), s => Assert.Equal(HttpStatusCode.NotFound, s));
        var limited = await ResumeHttp.Redeem(kit.Http, "AAAA-AAAA", from: guesser);
        Assert.Equal((HttpStatusCode.TooManyRequests, "rate_limited"), ResumeHttp.Problem(limited));
        // Another address is not held up by it.
        Assert.Equal(HttpStatusCode.NotFound, (await ResumeHttp.Redeem(kit.Http, "AAAA-AAAB", from: "198.51.100.3")).Status);
    }
}

internal static class ResumeHttp
{
    public sealed record Issued(string Code, DateTimeOffset ExpiresAt);

    public static async Task<Issued> Issue(HttpClient http, string token, string? from = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/workers/me/resume-code");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (from is not null) request.Headers.Add("X-Forwarded-For", from);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<Issued>(HotlineRest.Json))!;
    }

    public static async Task<(HttpStatusCode Status, string Body)> Redeem(HttpClient http, string code, string? from = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/resume") { Content = JsonContent.Create(new { code }) };
        if (from is not null) request.Headers.Add("X-Forwarded-For", from);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public static (HttpStatusCode, string?) Problem((HttpStatusCode Status, string Body) answer) => (answer.Status, TestKit.ProblemCode(answer.Body));
}
