namespace Hotline.E2E.Tests;

/// <summary>
/// The pull side of routing in the browser: a lawyer who is away (so nothing is offered) sees a waiting consultation in
/// the console's "等待中 · 可接" panel and takes it with its button; the admin wall's requeue form puts it back to the
/// queue, where the same panel offers it again.
/// </summary>
public sealed class PullUiTests(HotlineServer server, ITestOutputHelper output) : IClassFixture<HotlineServer>
{
    private const string Password = "e2e-pull-12351";
    // A combination no demo lawyer covers, so that only this lawyer could take it.
    private const string Category = "occupational_safety";
    private const string Dialect = "english";

    [Fact]
    public async Task The_take_button_claims_a_waiting_consultation_and_the_admin_requeue_form_puts_it_back()
    {
        SetDefaultExpectTimeout(30_000);
        await using var launched = await Browser.StartAsync();
        var browser = launched.Browser;
        var errors = new List<string>();
        var adminToken = await server.LoginAsync("admin", "admin12351");
        var username = "pull." + Guid.NewGuid().ToString("N")[..8];
        await server.CreateLawyerAsync(adminToken, username, Password, "拉取 律师", [Category], [Dialect], 2);
        var lawyerId = "lw-" + username;

        var desktop = new BrowserNewContextOptions { BaseURL = server.BaseUrl, ViewportSize = new() { Width = 1440, Height = 900 }, Locale = "zh-CN" };
        await using var lawyerCtx = await browser.NewContextAsync(desktop);
        await using var adminCtx = await browser.NewContextAsync(desktop);
        var lawyer = await PageWatch.Open(lawyerCtx, "lawyer", errors, output);
        var admin = await PageWatch.Open(adminCtx, "admin", errors, output);

        // ---- the lawyer signs in and goes away: the router offers nothing from now on
        await PageWatch.SignIn(lawyer, "/lawyer.html", username, Password);
        // Connected once the console read the lawyer back from the hub (GetMe sets the status dot).
        await Expect(lawyer.Locator("#status-dot[data-status=available]")).ToHaveCountAsync(1);
        await lawyer.GetByTestId("availability").SelectOptionAsync("away");
        await WaitForStatus(adminToken, lawyerId, "away");

        // ---- a worker's consultation waits; the console lists it under "等待中 · 可接" (after a reload: no event tells an away lawyer)
        var (id, worker) = await OpenConsultation("工厂没有发放防护用品，车间粉尘很大。");
        await lawyer.ReloadAsync();
        var item = lawyer.Locator($"[data-testid=waiting-item][data-consultation-id='{id}']");
        await Expect(item).ToBeVisibleAsync();
        await Expect(lawyer.GetByTestId("offer")).ToHaveCountAsync(0);

        // ---- take: the consultation becomes the lawyer's, its tab opens, it leaves the waiting list
        await item.GetByTestId("take").ClickAsync();
        await Expect(lawyer.Locator($"[data-testid=consultation-tab][data-consultation-id='{id}']")).ToBeVisibleAsync();
        await Expect(item).ToHaveCountAsync(0);
        var taken = await View(worker, id);
        Assert.Equal(("active", lawyerId), (taken.GetProperty("status").GetString(), taken.GetProperty("assignedLawyerId").GetString()));

        // ---- the admin wall's requeue form puts it back to the queue
        await PageWatch.SignIn(admin, "/admin.html", "admin", "admin12351");
        await admin.GetByTestId("requeue-id").FillAsync(id);
        await admin.GetByTestId("requeue").ClickAsync();
        await Expect(admin.Locator("#toast")).ToContainTextAsync(id);
        Assert.Equal("queued", (await View(worker, id)).GetProperty("status").GetString());

        // ---- the lawyer (still away, so it is not offered) sees it waiting again and takes it back
        await Expect(item).ToBeVisibleAsync();
        await item.GetByTestId("take").ClickAsync();
        await Expect(item).ToHaveCountAsync(0);
        Assert.Equal("active", (await View(worker, id)).GetProperty("status").GetString());
        Assert.Empty(errors);
    }

    /// <summary>A new worker opens a consultation over REST; returns its id and the worker's token (who may read its view).</summary>
    private async Task<(string Id, string WorkerToken)> OpenConsultation(string summary)
    {
        using var token = await server.Http.PostAsJsonAsync("api/auth/worker", new { displayName = "拉取职工" });
        token.EnsureSuccessStatusCode();
        var worker = (await token.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/consultations")
        {
            Content = JsonContent.Create(new { category = Category, dialect = Dialect, summary }),
        };
        request.Headers.Authorization = new("Bearer", worker);
        using var opened = await server.Http.SendAsync(request);
        opened.EnsureSuccessStatusCode();
        return ((await opened.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!, worker);
    }

    private Task<JsonElement> View(string workerToken, string id) => Get(workerToken, $"api/consultations/{id}");

    private async Task<JsonElement> Get(string token, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new("Bearer", token);
        using var r = await server.Http.SendAsync(request);
        r.EnsureSuccessStatusCode();
        return await r.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Polls the admin roster until the lawyer's status reads <paramref name="status"/> (the page's change is a hub call).</summary>
    private async Task WaitForStatus(string adminToken, string lawyerId, string status)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var roster = await Get(adminToken, "api/admin/lawyers");
            if (roster.EnumerateArray().Any(l => l.GetProperty("id").GetString() == lawyerId && l.GetProperty("status").GetString() == status)) return;
            Assert.True(DateTime.UtcNow < until, $"{lawyerId} did not become {status}");
            await Task.Delay(200); // polling an endpoint, not waiting for an event
        }
    }
}
