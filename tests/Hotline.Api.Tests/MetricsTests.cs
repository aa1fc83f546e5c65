namespace Hotline.Api.Tests;

/// <summary>A host with a Prometheus scrape key.</summary>
public sealed class MetricsHost : HotlineHost
{
    public const string ScrapeKey = "test-scrape-key-12351-0123456789";

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings) { ["Hotline:Metrics:ScrapeKey"] = ScrapeKey };
}

/// <summary><c>GET /metrics</c>: refused without credentials (or with a worker's), served to the scrape key and to admins, with the hotline's own metrics and no personal data.</summary>
public sealed class MetricsTests(MetricsHost host) : IClassFixture<MetricsHost>
{
    private async Task<HttpResponseMessage> Scrape(string? bearer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return await host.Http.SendAsync(request);
    }

    [Fact]
    public async Task Metrics_refuse_without_credentials_and_serve_hotline_metrics_to_the_scrape_key_and_admins()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await Scrape(null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Scrape("not-the-key")).StatusCode);
        var worker = await host.Rest.CreateWorker("指标工人王小明");
        Assert.Equal(HttpStatusCode.Forbidden, (await Scrape(worker.Token)).StatusCode);

        // Some traffic: a consultation waiting and a message in it.
        var consultation = await host.Rest.OpenConsultation(worker.Token, "unpaid_wages", "mandarin", "老板欠薪三个月 13800138000");
        await using var hub = HotlineConnection.Worker(host.BaseUrl, worker.Token);
        await hub.StartAsync();
        await hub.JoinConsultation(consultation.Id);
        await hub.SendMessage(consultation.Id, "秘密消息内容");

        // The gauges follow the statistics snapshot within seconds.
        var body = "";
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            using var response = await Scrape(MetricsHost.ScrapeKey);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            body = await response.Content.ReadAsStringAsync();
            // Wait for the gauges of this consultation's queue, not just any queue (the snapshot is refreshed on a beat).
            if (body.Contains("hotline_queue_waiting{") && body.Contains("hotline_messages_total{") && body.Contains("category=\"unpaid_wages\"")) break;
            await Task.Delay(500);
        }
        Assert.Contains("hotline_messages_total{", body);
        Assert.Contains("role=\"worker\"", body);
        Assert.Contains("hotline_queue_waiting{", body);
        Assert.Contains("category=\"unpaid_wages\"", body);
        Assert.Contains("hotline_queue_oldest_wait_seconds{", body);
        Assert.Contains("hotline_queue_service_level", body);
        Assert.Contains("hotline_consultations{", body);
        Assert.Contains("http_server_request_duration_seconds", body);
        // No personal data: names, summaries, message text, phone numbers, ids of people never appear.
        foreach (var secret in new[] { "王小明", "老板欠薪", "13800138000", "秘密消息", worker.WorkerId, consultation.Id })
            Assert.DoesNotContain(secret, body);

        using var asAdmin = await Scrape(await host.AdminToken());
        Assert.Equal(HttpStatusCode.OK, asAdmin.StatusCode);
    }
}
