namespace Hotline.E2E.Tests;

/// <summary>
/// Issue 11 in the browser (CSP on): the lawyer console shows a phone consultation as a call (the number as a
/// <c>tel:</c> link, the outcome buttons recorded, no chat box); the worker page's resume code continues a consultation
/// in another browser; the admin wall's date-range report draws the hourly history.
/// </summary>
public sealed class PhoneLineBrowserTests(HotlineServer server, ITestOutputHelper output) : IClassFixture<HotlineServer>, IAsyncLifetime
{
    private const string GatewayKey = "dev-gateway-key-12351"; // the Development default of the E2E server
    private const string LawyerPassword = "e2e-phone-12351";
    private readonly List<string> _errors = [];
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private IBrowserContext? _context;

    public async Task InitializeAsync()
    {
        SetDefaultExpectTimeout(30_000);
        (_playwright, _browser) = await Browser.LaunchAsync();
        _context = await NewContext();
    }

    private Task<IBrowserContext> NewContext() => _browser!.NewContextAsync(new()
    {
        BaseURL = server.BaseUrl, ViewportSize = new() { Width = 1440, Height = 1400 }, Locale = "zh-CN", TimezoneId = "Asia/Shanghai",
    });

    public async Task DisposeAsync()
    {
        if (_context is not null) await _context.DisposeAsync();
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
    }

    [Fact]
    public async Task Console_shows_a_phone_consultation_as_a_call_and_records_the_outcomes()
    {
        var admin = await server.LoginAsync("admin", "admin12351");
        var username = "e2e-phone-" + Guid.NewGuid().ToString("N")[..6];
        // Injury in Puxian: no seeded demo lawyer is online, so the call can only be offered to this one.
        await server.CreateLawyerAsync(admin, username, LawyerPassword, "电话律师", ["work_injury"], ["puxian"], 2);
        const string number = "+8613912345678";
        using var intake = new HttpRequestMessage(HttpMethod.Post, "api/hotline/calls")
        {
            Content = JsonContent.Create(new { callerNumber = number, category = "work_injury", dialect = "puxian", callback = true }),
        };
        intake.Headers.Add("X-Api-Key", GatewayKey);
        using var created = await server.Http.SendAsync(intake);
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        var lawyer = await PageWatch.Open(_context!, "lawyer", _errors, output);
        await PageWatch.SignIn(lawyer, "/lawyer.html", username, LawyerPassword);
        await lawyer.GetByTestId("availability").SelectOptionAsync("available");
        var offer = lawyer.Locator($"[data-testid=offer][data-consultation-id='{id}']");
        await Expect(offer).ToBeVisibleAsync();
        Assert.DoesNotContain(number[^8..], await offer.InnerTextAsync()); // the offer never shows the number
        await offer.GetByTestId("accept").ClickAsync();

        // A call: the number to dial as a tel: link, outcome buttons, and no chat box with nobody on the other side.
        var callBox = lawyer.GetByTestId("call-box");
        await Expect(callBox).ToBeVisibleAsync();
        await Expect(lawyer.GetByTestId("call-number")).ToHaveTextAsync(number);
        await Expect(lawyer.GetByTestId("call-number")).ToHaveAttributeAsync("href", "tel:" + number);
        await Expect(lawyer.GetByTestId("chat-input")).ToBeHiddenAsync();
        await Expect(lawyer.GetByTestId("send")).ToBeHiddenAsync();
        await Expect(lawyer.GetByTestId("call-attempts")).ToContainTextAsync("回拨");

        await lawyer.GetByTestId("call-no-answer").ClickAsync();
        await Expect(lawyer.GetByTestId("call-attempts")).ToContainTextAsync("未接通");
        await lawyer.GetByTestId("call-reached").ClickAsync();
        await Expect(lawyer.GetByTestId("call-attempts")).ToContainTextAsync("已拨通");
        await Shot(lawyer, "lawyer-phone-call");

        // The outcomes are in the record, in order.
        var token = await server.LoginAsync(username, LawyerPassword);
        using var read = new HttpRequestMessage(HttpMethod.Get, $"api/consultations/{id}");
        read.Headers.Authorization = new("Bearer", token);
        using var answer = await server.Http.SendAsync(read);
        var view = await answer.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["no_answer", "reached"], view.GetProperty("callAttempts").EnumerateArray().Select(a => a.GetProperty("outcome").GetString()));
        Assert.Equal(number, view.GetProperty("callbackNumber").GetString());
        AssertNoPageErrors();
    }

    [Fact]
    public async Task Resume_code_continues_the_consultation_in_another_browser()
    {
        var first = await PageWatch.Open(_context!, "worker-phone", _errors, output);
        await first.GotoAsync("/");
        await first.GetByTestId("category").SelectOptionAsync("social_insurance");
        await first.GetByTestId("dialect").SelectOptionAsync("hakka");
        const string summary = "公司没给我交社保，想在另一台电脑上继续问";
        await first.GetByTestId("summary").FillAsync(summary);
        await first.GetByTestId("submit").ClickAsync();
        await Expect(first.GetByTestId("consultation-summary")).ToContainTextAsync(summary);
        // Web Push: the service worker registered under the CSP (same-origin script) and the key was served, so the
        // page offers notifications. (Subscribing needs a push service, which a test machine cannot reach.)
        await Expect(first.GetByTestId("push-enable")).ToBeVisibleAsync();
        Assert.True(await first.EvaluateAsync<bool>("async () => !!(await navigator.serviceWorker.getRegistration('/'))"), "push-sw.js not registered");
        await first.GetByTestId("resume-show").ClickAsync();
        var code = first.GetByTestId("resume-code");
        await Expect(code).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^[0-9A-Z]{4}-[0-9A-Z]{4}$"));
        var text = (await code.TextContentAsync())!;

        // Another device: a fresh browser context (no shared storage). A wrong code is refused and changes nothing.
        await using var otherContext = await NewContext();
        var second = await PageWatch.Open(otherContext, "worker-laptop", _errors, output);
        await second.GotoAsync("/");
        await second.GetByTestId("resume-input").FillAsync(text[..^1] + (text[^1] == '7' ? '8' : '7'));
        await second.GetByTestId("resume-redeem").ClickAsync();
        await Expect(second.GetByTestId("resume-error")).ToHaveTextAsync("继续码无效或已过期");
        await second.GetByTestId("resume-input").FillAsync(text.ToLowerInvariant());
        await second.GetByTestId("resume-redeem").ClickAsync();
        await Expect(second.GetByTestId("consultation-summary")).ToContainTextAsync(summary);
        await Expect(second.GetByTestId("status")).ToHaveAttributeAsync("data-status", "queued");
        await Shot(second, "worker-resumed");

        // Used once: the first device's code no longer works.
        using var again = await server.Http.PostAsJsonAsync("api/auth/resume", new { code = text });
        Assert.Equal(System.Net.HttpStatusCode.NotFound, again.StatusCode);
        AssertNoPageErrors();
    }

    [Fact]
    public async Task Admin_wall_draws_the_date_range_report()
    {
        var admin = await PageWatch.Open(_context!, "admin", _errors, output);
        await PageWatch.SignIn(admin, "/admin.html", "admin", "admin12351");
        var report = admin.GetByTestId("report");
        await Expect(report).ToHaveAttributeAsync("data-loaded", "true");
        await Expect(admin.GetByTestId("report-zone")).ToContainTextAsync("Asia/Shanghai");
        await Expect(admin.Locator("#report-days tr")).ToHaveCountAsync(7);
        await Expect(admin.GetByTestId("report-total")).ToContainTextAsync("来访");
        // The chart drew on its canvas (chart.js from lib/, no CDN).
        var drawn = await admin.EvaluateAsync<bool>("() => { const c = document.querySelector('#chart-report'); return c.width > 0 && !!window.Chart && !!Chart.getChart(c); }");
        Assert.True(drawn, "the hourly history chart was not drawn");
        // A reversed range is refused with the stable code, shown as an error, nothing else changes.
        await admin.GetByTestId("report-from").FillAsync("2026-11-20");
        await admin.GetByTestId("report-to").FillAsync("2026-11-10");
        await admin.GetByTestId("report-load").ClickAsync();
        await Expect(admin.Locator("#report-days tr")).ToHaveCountAsync(7);
        await Shot(admin, "admin-report");
        AssertNoPageErrors();
    }

    private void AssertNoPageErrors() => Assert.True(_errors.Count == 0, "page errors:\n" + string.Join("\n", _errors));

    private async Task Shot(IPage page, string name)
    {
        var path = Path.Combine(Browser.ArtifactsDir, name + ".png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        output.WriteLine($"screenshot: {path}");
    }
}
