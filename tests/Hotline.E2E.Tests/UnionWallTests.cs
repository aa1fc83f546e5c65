using System.Net.Http.Headers;

namespace Hotline.E2E.Tests;

/// <summary>
/// Issue 12 in the browser (CSP on): the admin wall's collective-dispute alert panel (live `Alert`, acknowledge, close,
/// related consultations read only through the audited grant), the roster editor (capacity, skills, conflicts, password,
/// disable; every change checked through the API), and the lawyer console's conflict-of-interest control.
/// </summary>
public sealed class UnionWallTests(HotlineServer server, ITestOutputHelper output) : IClassFixture<HotlineServer>, IAsyncLifetime
{
    private const string AdminPassword = "admin12351";
    private const string LawyerPassword = "e2e-union-12351";
    private readonly List<string> _errors = [];
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private IBrowserContext? _context;
    private string _adminToken = "";

    /// <summary>Per test: a fresh browser and context, and the admin's API token for checking what the pages did.</summary>
    public async Task InitializeAsync()
    {
        SetDefaultExpectTimeout(30_000);
        (_playwright, _browser) = await Browser.LaunchAsync();
        _context = await _browser.NewContextAsync(new()
        {
            BaseURL = server.BaseUrl, ViewportSize = new() { Width = 1440, Height = 1600 }, Locale = "zh-CN", TimezoneId = "Asia/Shanghai",
        });
        _adminToken = await server.LoginAsync("admin", AdminPassword);
    }

    public async Task DisposeAsync()
    {
        if (_context is not null) await _context.DisposeAsync();
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
    }

    private void AssertNoPageErrors() => Assert.True(_errors.Count == 0, "page errors:\n" + string.Join("\n", _errors));

    [Fact]
    public async Task Alert_panel_shows_a_live_alert_for_one_employer_written_three_ways_and_acknowledges_and_closes_it()
    {
        var admin = await SignInAdmin();
        var adminToken = _adminToken;

        // A made-up employer no other test names, written three ways by three workers (width, spaces, legal form).
        var tag = "Q" + string.Concat(Guid.NewGuid().ToString("N")[..5].Select(c => (char)('a' + c % 26)));
        var upper = tag.ToUpperInvariant();
        var fullWidth = new string(upper.Select(c => (char)(c - 0x21 + 0xFF01)).ToArray());
        string[] spellings = [$"厦门{fullWidth}电子有限公司", $"厦门 {upper} 电子", $"厦门{tag.ToLowerInvariant()}电子有限责任公司"];
        var alerts = admin.GetByTestId("alert");
        var ids = new List<string>();
        foreach (var (spelling, i) in spellings.Select((s, i) => (s, i)))
        {
            ids.Add(await OpenConsultation(spelling, "xiamen", $"公司三个月没发工资了（{i + 1}）"));
            if (i < 2)
            {
                // Below the threshold: no alert (read from the server, so the panel's emptiness is not just "not yet").
                Assert.DoesNotContain(await Alerts(adminToken), a => a.GetProperty("consultationIds").EnumerateArray().Any(c => ids.Contains(c.GetString()!)));
                await Expect(alerts).ToHaveCountAsync(0);
            }
        }

        // The third distinct worker opens the alert: it appears on the wall without a reload (admin hub `Alert`).
        var alert = admin.Locator("[data-testid=alert][data-status=open]").Filter(new() { HasText = spellings[0] });
        await Expect(alert).ToBeVisibleAsync();
        await Expect(alert.GetByTestId("alert-workers")).ToHaveAttributeAsync("data-count", "3");
        await Expect(alert.GetByTestId("alert-consultation-count")).ToHaveAttributeAsync("data-count", "3");
        await Expect(alert).ToContainTextAsync("厦门");
        var alertId = (await alert.GetAttributeAsync("data-alert-id"))!;
        await Expect(admin.Locator("#alerts-count")).ToHaveTextAsync("1 条未关闭");

        // Related consultations: metadata with relatedCount; the transcript only after a reason (audited grant).
        await alert.GetByTestId("alert-related").ClickAsync();
        var related = alert.GetByTestId("alert-consultation");
        await Expect(related).ToHaveCountAsync(3);
        foreach (var id in ids)
            await Expect(alert.Locator($"[data-testid=alert-consultation][data-consultation-id='{id}'] [data-testid=related-count]")).ToHaveAttributeAsync("data-count", "2");
        Assert.DoesNotContain("公司三个月没发工资", await alert.InnerTextAsync()); // no summary before the grant

        var row = alert.Locator($"[data-testid=alert-consultation][data-consultation-id='{ids[1]}']");
        await row.GetByTestId("alert-access-reason").FillAsync("太短");
        await row.GetByTestId("alert-access-request").ClickAsync();
        await Expect(row.GetByTestId("alert-access-error")).ToHaveAttributeAsync("data-code", "validation_failed");
        Assert.Empty(await Audit(adminToken, ids[1]));
        await row.GetByTestId("alert-access-reason").FillAsync("集体争议预警核查：同一单位多名职工反映欠薪");
        await row.GetByTestId("alert-access-request").ClickAsync();
        var transcript = admin.GetByTestId("transcript");
        await Expect(transcript).ToBeVisibleAsync();
        await Expect(transcript.GetByTestId("transcript-meta")).ToContainTextAsync(spellings[1]);
        await Expect(transcript.GetByTestId("transcript-summary")).ToHaveTextAsync("公司三个月没发工资了（2）");
        await Expect(transcript.GetByTestId("transcript-messages")).ToHaveAttributeAsync("data-loaded", "true");
        // Both the grant and the read are in the audit log, with the reason.
        var audit = await Audit(adminToken, ids[1]);
        Assert.Contains(audit, e => e.GetProperty("action").GetString() == "access_granted" && e.GetProperty("reason").GetString()!.StartsWith("集体争议预警核查", StringComparison.Ordinal));
        Assert.Contains(audit, e => e.GetProperty("action").GetString() == "read_transcript");
        Assert.Empty(await Audit(adminToken, ids[0])); // the others were not read
        await transcript.GetByTestId("transcript-close").ClickAsync();
        await Expect(transcript).ToBeHiddenAsync();
        await Shot(admin, "union-alert-panel");

        // Acknowledge, then close: the wall and the server agree at each step.
        await alert.GetByTestId("alert-ack").ClickAsync();
        var byId = admin.Locator($"[data-testid=alert][data-alert-id='{alertId}']");
        await Expect(byId).ToHaveAttributeAsync("data-status", "acknowledged");
        Assert.Equal("acknowledged", (await Alerts(adminToken)).Single(a => a.GetProperty("id").GetString() == alertId).GetProperty("status").GetString());
        await Expect(byId.GetByTestId("alert-ack")).ToHaveCountAsync(0);
        await byId.GetByTestId("alert-close").ClickAsync();
        await Expect(byId).ToHaveCountAsync(0); // closed alerts are hidden by default
        Assert.Equal("closed", (await Alerts(adminToken)).Single(a => a.GetProperty("id").GetString() == alertId).GetProperty("status").GetString());
        await admin.GetByTestId("alerts-show-closed").CheckAsync();
        await Expect(byId).ToHaveAttributeAsync("data-status", "closed");
        await Expect(byId.GetByTestId("alert-close")).ToHaveCountAsync(0);

        // The region table counts the three (all named Xiamen or none): waiting per region from the metrics.
        await Expect(admin.Locator("[data-testid=region-row][data-region=xiamen] [data-testid=region-waiting]")).Not.ToHaveTextAsync("0");

        // A reload reads the list again (events are not replayed).
        await admin.ReloadAsync();
        await Expect(admin.Locator($"[data-testid=alert][data-alert-id='{alertId}']")).ToHaveCountAsync(0);
        AssertNoPageErrors();
    }

    [Fact]
    public async Task Roster_editor_changes_capacity_skills_conflicts_and_password_and_disables_a_lawyer()
    {
        var adminToken = _adminToken;
        var username = "e2e.roster." + Guid.NewGuid().ToString("N")[..6];
        var lawyerId = "lw-" + username;
        await server.CreateLawyerAsync(adminToken, username, LawyerPassword, "林晓 律师", ["unpaid_wages", "dismissal"], ["minnan"], 2);
        var admin = await SignInAdmin();

        var row = admin.Locator($"[data-testid=roster-row][data-lawyer-id='{lawyerId}']");
        await Expect(row).ToBeVisibleAsync();
        await row.GetByTestId("roster-edit").ClickAsync();
        var editor = admin.GetByTestId("roster-editor");
        await Expect(editor).ToBeVisibleAsync();
        await Expect(editor.GetByTestId("roster-capacity")).ToHaveValueAsync("2");

        // A capacity the server refuses: the problem's code and detail are shown, nothing changes.
        await editor.GetByTestId("roster-capacity").FillAsync("11");
        await editor.GetByTestId("roster-save").ClickAsync();
        var error = editor.GetByTestId("roster-error");
        await Expect(error).ToHaveAttributeAsync("data-code", "validation_failed");
        await Expect(error).ToContainTextAsync("capacity");
        Assert.Equal(2, (await Lawyer(adminToken, lawyerId)).GetProperty("capacity").GetInt32());

        // Capacity 5, skills: drop dismissal, add work injury; dialect Mandarin too; a conflict of interest.
        await editor.GetByTestId("roster-capacity").FillAsync("5");
        await editor.Locator("[data-testid=roster-skill][value=dismissal]").UncheckAsync();
        await editor.Locator("[data-testid=roster-skill][value=work_injury]").CheckAsync();
        await editor.Locator("[data-testid=roster-dialect][value=mandarin]").CheckAsync();
        await editor.GetByTestId("roster-conflicts").FillAsync("泉州某某鞋业有限公司");
        await editor.GetByTestId("roster-save").ClickAsync();
        await Expect(editor).ToHaveCountAsync(0);
        var changed = await Lawyer(adminToken, lawyerId);
        Assert.Equal(5, changed.GetProperty("capacity").GetInt32());
        Assert.Equal(["unpaid_wages", "work_injury"], Strings(changed, "skills").Order());
        Assert.Equal(["mandarin", "minnan"], Strings(changed, "dialects").Order());
        Assert.Equal(["泉州某某鞋业有限公司"], Strings(changed, "conflicts"));
        Assert.False(changed.GetProperty("disabled").GetBoolean());
        await Expect(row).ToContainTextAsync("0/5");
        await Expect(row).ToContainTextAsync("工伤");

        // Password reset: too short is refused with its code; a good one works for login, the old one no longer does.
        await row.GetByTestId("roster-edit").ClickAsync();
        await editor.GetByTestId("roster-password").FillAsync("short");
        await editor.GetByTestId("roster-password-reset").ClickAsync();
        await Expect(editor.GetByTestId("roster-password-result")).ToHaveAttributeAsync("data-code", "validation_failed");
        await editor.GetByTestId("roster-password").FillAsync("new-pass-12351-e2e");
        await editor.GetByTestId("roster-password-reset").ClickAsync();
        await Expect(editor.GetByTestId("roster-password-result")).ToHaveAttributeAsync("data-code", "ok");
        Assert.Equal(HttpStatusCode.OK, await LoginStatus(username, "new-pass-12351-e2e"));
        Assert.Equal(HttpStatusCode.Unauthorized, await LoginStatus(username, LawyerPassword));

        // Disable: the row shows it, the API says so, and the lawyer can no longer sign in.
        await editor.GetByTestId("roster-disabled").CheckAsync();
        await editor.GetByTestId("roster-save").ClickAsync();
        await Expect(editor).ToHaveCountAsync(0);
        await Expect(row).ToHaveAttributeAsync("data-disabled", "true");
        await Expect(row.GetByTestId("roster-disabled-mark")).ToBeVisibleAsync();
        Assert.True((await Lawyer(adminToken, lawyerId)).GetProperty("disabled").GetBoolean());
        Assert.Equal(HttpStatusCode.Unauthorized, await LoginStatus(username, "new-pass-12351-e2e"));
        // The audit log names the changed fields (never their values).
        var audit = await Get(adminToken, "api/admin/audit");
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("action").GetString() == "lawyer_changed" && e.GetProperty("reason").GetString() == $"{lawyerId}: disabled");
        await Shot(admin, "union-roster");
        AssertNoPageErrors();
    }

    [Fact]
    public async Task Lawyer_declares_a_conflict_of_interest_from_the_console_and_the_consultation_goes_back_to_routing()
    {
        var adminToken = _adminToken;
        var username = "e2e.conflict." + Guid.NewGuid().ToString("N")[..6];
        // Only this lawyer fits (occupational safety in Hakka), so the offer comes to this console.
        await server.CreateLawyerAsync(adminToken, username, LawyerPassword, "陈静 律师", ["occupational_safety"], ["hakka"], 2);
        var employer = "龙岩" + Guid.NewGuid().ToString("N")[..4] + "矿业有限公司";
        var id = await OpenConsultation(employer, "longyan", "井下作业没有防护用品", "occupational_safety", "hakka");
        // A second worker names the same employer spelled another way (spaces, "公司" for "有限公司").
        var respelled = employer[..2] + " " + employer[2..6] + " 矿业公司";
        var other = await OpenConsultation(respelled, "longyan", "矿上拖欠三个月工资", "occupational_safety", "hakka");

        var lawyer = await PageWatch.Open(_context!, "lawyer", _errors, output);
        await PageWatch.SignIn(lawyer, "/lawyer.html", username, LawyerPassword);
        await lawyer.GetByTestId("availability").SelectOptionAsync("available");
        foreach (var c in new[] { id, other })
        {
            var offer = lawyer.Locator($"[data-testid=offer][data-consultation-id='{c}']");
            await Expect(offer).ToBeVisibleAsync();
            await offer.GetByTestId("accept").ClickAsync();
        }
        await Expect(lawyer.GetByTestId("consultation-tab")).ToHaveCountAsync(2);
        await lawyer.Locator($"[data-testid=consultation-tab][data-consultation-id='{id}']").ClickAsync();
        await Expect(lawyer.GetByTestId("chat-employer")).ToContainTextAsync(employer);

        await lawyer.Locator(".side-tabs button[data-side=actions]").ClickAsync();
        await Expect(lawyer.GetByTestId("conflict-employer")).ToHaveValueAsync(employer);
        await lawyer.GetByTestId("conflict-declare").ClickAsync();
        var confirm = lawyer.GetByTestId("conflict-confirm");
        await Expect(confirm).ToBeVisibleAsync();
        await Expect(confirm).ToContainTextAsync(employer);
        // Nothing happens before the confirmation.
        Assert.Empty(Strings(await Lawyer(adminToken, "lw-" + username), "conflicts"));
        await lawyer.GetByTestId("conflict-yes").ClickAsync();
        // Both leave the console: the one declared on, and the one whose employer is spelled another way.
        await Expect(lawyer.GetByTestId("consultation-tab")).ToHaveCountAsync(0);

        Assert.Equal([employer], Strings(await Lawyer(adminToken, "lw-" + username), "conflicts"));
        // Back to routing: queued again (this was the only lawyer who fits, and it is conflicted now).
        await Wait.Until(() => QueuedInMetrics(adminToken, "longyan", 2), TimeSpan.FromSeconds(30), () => "both consultations queued again in region longyan");
        Assert.DoesNotContain(await Audit(adminToken, id), e => e.GetProperty("action").GetString() == "read_transcript");
        AssertNoPageErrors();
    }

    // ---------- helpers ----------

    private async Task<IPage> SignInAdmin()
    {
        var page = await PageWatch.Open(_context!, "admin", _errors, output);
        var response = await page.GotoAsync("/admin.html");
        Assert.Contains("script-src 'self'", (await response!.AllHeadersAsync())["content-security-policy"]);
        await page.GetByTestId("login-username").FillAsync("admin");
        await page.GetByTestId("login-password").FillAsync(AdminPassword);
        await page.GetByTestId("login-submit").ClickAsync();
        await Expect(page.GetByTestId("metrics-updated-at")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("更新于"));
        return page;
    }

    /// <summary>A new anonymous worker opens a consultation naming the employer; returns its id.</summary>
    private async Task<string> OpenConsultation(string employer, string region, string summary, string category = "unpaid_wages", string dialect = "minnan")
    {
        using var auth = await server.Http.PostAsJsonAsync("api/auth/worker", new { displayName = "职工" });
        auth.EnsureSuccessStatusCode();
        var token = (await auth.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/consultations") { Content = JsonContent.Create(new { category, dialect, summary, employer, region }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var r = await server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        return (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private async Task<JsonElement> Get(string token, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var r = await server.Http.SendAsync(request);
        Assert.True(r.IsSuccessStatusCode, $"GET /{path} answered {(int)r.StatusCode}");
        return (await r.Content.ReadFromJsonAsync<JsonElement>()).Clone();
    }

    private async Task<List<JsonElement>> Alerts(string token) => (await Get(token, "api/admin/alerts")).EnumerateArray().ToList();

    private async Task<List<JsonElement>> Audit(string token, string consultationId) =>
        (await Get(token, $"api/admin/audit?consultationId={consultationId}")).EnumerateArray().ToList();

    private async Task<JsonElement> Lawyer(string token, string lawyerId) =>
        (await Get(token, "api/admin/lawyers")).EnumerateArray().Single(l => l.GetProperty("id").GetString() == lawyerId);

    private static IEnumerable<string> Strings(JsonElement e, string property) => e.GetProperty(property).EnumerateArray().Select(x => x.GetString()!).ToList();

    private async Task<HttpStatusCode> LoginStatus(string username, string password)
    {
        using var r = await server.Http.PostAsJsonAsync("api/auth/login", new { username, password });
        return r.StatusCode;
    }

    private async Task<bool> QueuedInMetrics(string token, string region, int count)
    {
        var metrics = await Get(token, "api/admin/metrics");
        return metrics.GetProperty("regions").EnumerateArray().Any(r => r.GetProperty("region").GetString() == region && r.GetProperty("waiting").GetInt32() + r.GetProperty("offered").GetInt32() == count);
    }

    private async Task Shot(IPage page, string name)
    {
        var path = Path.Combine(Browser.ArtifactsDir, name + ".png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        output.WriteLine($"screenshot: {path}");
    }
}
