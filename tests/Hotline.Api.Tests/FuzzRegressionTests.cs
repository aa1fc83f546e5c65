namespace Hotline.Api.Tests;

/// <summary>
/// Defects the fuzzer (tools/Hotline.Fuzz) found, each pinned: every refusal is a problem or a hub error with a stable
/// code, never a 5xx or an uncoded message, and it changes nothing.
/// </summary>
[Collection(MainCollection.Name)]
public sealed class FuzzRegressionTests(HotlineHost host)
{
    [Fact]
    public async Task A_wrong_method_is_405_method_not_allowed_not_a_500()
    {
        await using var kit = new TestKit(host);
        var (status, type, body) = await kit.Raw(HttpMethod.Get, "/api/auth/worker");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, status);
        Assert.Equal("application/problem+json", type);
        Assert.Equal("method_not_allowed", TestKit.ProblemCode(body));
        Assert.Contains("\"status\":405", body);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_payload_too_large_with_problem_details()
    {
        await using var kit = new TestKit(host);
        var worker = await kit.Rest.CreateWorker("big body");
        var before = (await kit.Rest.Send<IReadOnlyList<Consultation>>(HttpMethod.Get, "/api/workers/me/consultations", worker.Token)).Count;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/consultations")
        {
            Content = new StringContent("{\"category\":\"unpaid_wages\",\"dialect\":\"hakka\",\"summary\":\"" + new string('x', 100_000) + "\"}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", worker.Token);
        using var response = await kit.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("payload_too_large", TestKit.ProblemCode(await response.Content.ReadAsStringAsync()));
        Assert.Equal(before, (await kit.Rest.Send<IReadOnlyList<Consultation>>(HttpMethod.Get, "/api/workers/me/consultations", worker.Token)).Count);
    }

    [Theory]
    [InlineData("/api/admin/audit?to=0001-01-01T00:00:00Z")]
    [InlineData("/api/admin/audit?from=9999-12-30T00:00:00Z&to=9999-12-31T23:59:59Z")]
    [InlineData("/api/admin/reports/hourly?to=0001-01-01T00:00:00Z")]
    [InlineData("/api/admin/reports/hourly?from=2000-01-01T00:00:00Z&to=2999-01-01T00:00:00Z")]
    public async Task Dates_at_the_ends_of_the_calendar_or_huge_windows_are_validation_failed_not_a_500(string path)
    {
        await using var kit = new TestKit(host);
        var (status, _, body) = await kit.Raw(HttpMethod.Get, path, await kit.AdminToken());
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("validation_failed", TestKit.ProblemCode(body));
    }

    [Fact]
    public async Task Hub_calls_with_unbindable_arguments_or_unknown_methods_are_validation_failed()
    {
        await using var kit = new TestKit(host);
        var (lawyer, worker, c) = await kit.ActiveCase();
        // Wrong types, wrong counts, a method that does not exist: SignalR refuses them before any hub code runs.
        Assert.Equal("validation_failed", await TestKit.HubError(() => worker.Hub.Invoke<object?>("SendMessage", [c.Id, new[] { 1, 2 }, new { a = 1 }])));
        Assert.Equal("validation_failed", await TestKit.HubError(() => worker.Hub.Invoke<object?>("SendMessage", [c.Id])));
        Assert.Equal("validation_failed", await TestKit.HubError(() => lawyer.Hub.Invoke<object?>("SetCapacity", ["many"])));
        Assert.Equal("validation_failed", await TestKit.HubError(() => lawyer.Hub.Invoke<object?>("NoSuchMethod", [])));
        // A null transfer request was a NullReferenceException (internal_error).
        Assert.Equal("validation_failed", await TestKit.HubError(() => lawyer.Hub.Invoke<object?>("Transfer", [c.Id, null])));
        Assert.Equal("active", (await kit.Rest.GetConsultation(worker.Token, c.Id)).Status);
        // Nothing was stored; the connection still serves.
        Assert.Equal(0, (await kit.Rest.GetConsultation(worker.Token, c.Id)).LastSeq);
        Assert.Equal(1, (await worker.Hub.SendMessage(c.Id, "still here")).Seq);
    }
}
