namespace Hotline.Api.Tests;

/// <summary>
/// Plain HTTP behaviour a proxy, a scanner or a curious browser sees: wrong methods answer 405 with a problem and a stable
/// code, HEAD works like GET without a body, and every answer carries the security headers.
/// </summary>
[Collection(MainCollection.Name)]
public sealed class HttpProtocolTests(HotlineHost host)
{
    [Theory]
    [InlineData("DELETE", "api/catalog")]
    [InlineData("POST", "api/limits")]
    [InlineData("PUT", "api/auth/login")]
    [InlineData("PATCH", "api/duty")]
    [InlineData("GET", "api/auth/login")]
    public async Task Wrong_method_is_405_method_not_allowed_with_a_problem(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method != "GET") request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        using var r = await host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        Assert.Equal("method_not_allowed", body.RootElement.GetProperty("code").GetString());
        Assert.Equal(405, body.RootElement.GetProperty("status").GetInt32());
        Assert.True(r.Content.Headers.Allow.Count > 0 || r.Headers.Contains("Allow"), "405 names the allowed methods");
    }

    [Theory]
    [InlineData("api/catalog")]
    [InlineData("api/limits")]
    [InlineData("health/ready")]
    [InlineData("")]
    [InlineData("lawyer.html")]
    public async Task Head_answers_like_get_without_a_body(string path)
    {
        using var get = await host.Http.GetAsync(path);
        using var head = await host.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(get.Content.Headers.ContentType?.MediaType, head.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Head_on_an_authorized_endpoint_without_a_token_is_401_not_500()
    {
        using var head = await host.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "api/admin/audit"));
        Assert.Equal(HttpStatusCode.Unauthorized, head.StatusCode);
    }

    [Fact]
    public async Task Head_on_a_get_that_fails_answers_the_gets_status_not_500()
    {
        var worker = await host.Rest.CreateWorker();
        using var request = new HttpRequestMessage(HttpMethod.Head, "api/consultations/c-" + Guid.NewGuid().ToString("N"));
        request.Headers.Authorization = new("Bearer", worker.Token);
        using var head = await host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        using var call = new HttpRequestMessage(HttpMethod.Head, "api/hotline/calls/c-" + Guid.NewGuid().ToString("N"));
        call.Headers.Add("X-Api-Key", HotlineHost.GatewayKey);
        using var headCall = await host.Http.SendAsync(call);
        Assert.Equal(HttpStatusCode.NotFound, headCall.StatusCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("api/catalog")]
    [InlineData("api/no-such-thing")]
    public async Task Security_headers_on_pages_api_and_errors(string path)
    {
        using var r = await host.Http.GetAsync(path);
        Assert.Equal("nosniff", r.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", r.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", r.Headers.GetValues("Referrer-Policy").Single());
        var csp = r.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
    }
}
