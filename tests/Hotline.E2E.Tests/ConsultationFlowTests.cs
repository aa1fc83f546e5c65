namespace Hotline.E2E.Tests;

/// <summary>
/// The three pages against the real silo in headless Chromium: a worker on a phone-sized screen, a lawyer console and the
/// admin wall, from opening a consultation to closing it with a rating and resuming after a reload.
/// </summary>
public sealed class ConsultationFlowTests(HotlineServer server, ITestOutputHelper output) : IClassFixture<HotlineServer>
{
    private const string LawyerPassword = "e2e-lawyer-12351";

    [Fact]
    public async Task Worker_lawyer_and_admin_go_through_a_consultation()
    {
        SetDefaultExpectTimeout(20_000);
        await using var launched = await Browser.StartAsync();
        var browser = launched.Browser;
        var errors = new List<string>();

        // A lawyer nobody else matches (and the only lawyer connected at all): the offer must come to this console.
        var adminToken = await server.LoginAsync("admin", "admin12351");
        var lawyerUser = "e2e." + Guid.NewGuid().ToString("N")[..8];
        const string lawyerName = "周明 律师";
        await server.CreateLawyerAsync(adminToken, lawyerUser, LawyerPassword, lawyerName, ["unpaid_wages", "labor_contract"], ["cantonese", "mandarin"], 3);

        var desktop = new BrowserNewContextOptions
        {
            BaseURL = server.BaseUrl, ViewportSize = new() { Width = 1440, Height = 900 }, Locale = "zh-CN", TimezoneId = "Asia/Shanghai",
        };
        // Tall enough for the whole wall: a full-page shot then needs no resize (which would re-animate the charts).
        await using var adminCtx = await browser.NewContextAsync(new(desktop) { ViewportSize = new() { Width = 1440, Height = 1800 } });
        await using var lawyerCtx = await browser.NewContextAsync(desktop);
        var phone = new BrowserNewContextOptions
        {
            BaseURL = server.BaseUrl, ViewportSize = new() { Width = 390, Height = 844 }, DeviceScaleFactor = 2, IsMobile = true, HasTouch = true,
            Locale = "zh-CN", TimezoneId = "Asia/Shanghai",
            UserAgent = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Mobile Safari/537.36",
        };
        await using var workerCtx = await browser.NewContextAsync(phone);
        await using var worker2Ctx = await browser.NewContextAsync(phone);
        var admin = await Open(adminCtx, "admin", errors);
        var lawyer = await Open(lawyerCtx, "lawyer", errors);
        var worker = await Open(workerCtx, "worker", errors);
        // The worker's hub WebSocket goes through Playwright, so that the test can cut it (offline emulation alone
        // does not close an open WebSocket).
        var workerSockets = new List<IWebSocketRoute>();
        var cut = false;
        await worker.RouteWebSocketAsync(new Regex("/hubs/worker"), async ws =>
        {
            if (Volatile.Read(ref cut)) { await ws.CloseAsync(new() { Code = 4000, Reason = "offline" }); return; }
            ws.ConnectToServer();
            lock (workerSockets) workerSockets.Add(ws);
        });

        // ---- admin signs in: tiles and roster from the live server
        var adminPage = await admin.GotoAsync("/admin.html");
        // The policy is on (so the no-violation check below means something).
        Assert.Contains("script-src 'self'", (await adminPage!.AllHeadersAsync())["content-security-policy"]);
        await admin.GetByTestId("login-username").FillAsync("admin");
        await admin.GetByTestId("login-password").FillAsync("admin12351");
        await admin.GetByTestId("login-submit").ClickAsync();
        await Expect(admin.GetByTestId("tile-active")).ToHaveTextAsync("0");
        await Expect(admin.GetByTestId("tile-waiting")).ToHaveTextAsync("0");
        await Expect(admin.GetByTestId("metrics-updated-at")).ToHaveTextAsync(new Regex("更新于"));
        await Expect(admin.Locator($"[data-testid=roster-row][data-lawyer-id='lw-{lawyerUser}']")).ToBeVisibleAsync();
        await Expect(admin.GetByTestId("roster-row")).ToHaveCountAsync(13); // 12 demo lawyers + ours
        await Expect(admin.GetByTestId("orleans-dashboard")).ToHaveAttributeAsync("href", "/dashboard");
        await Expect(admin.GetByTestId("api-docs")).ToHaveAttributeAsync("href", "/scalar");

        // ---- worker opens a consultation while no lawyer is online: queued, position 1, an estimate
        await worker.GotoAsync("/");
        await Expect(worker.GetByTestId("category").Locator("option[value=unpaid_wages]")).ToHaveCountAsync(1);
        await worker.GetByTestId("category").SelectOptionAsync("unpaid_wages");
        await worker.GetByTestId("dialect").SelectOptionAsync("cantonese");
        const string summary = "我在深圳一家电子厂做了8个月，老板拖欠了3个月工资，一共一万二千元，也没有签劳动合同。";
        await worker.GetByTestId("summary").FillAsync(summary);
        await worker.GetByTestId("submit").ClickAsync();
        await Expect(worker.GetByTestId("status")).ToHaveTextAsync("排队中");
        await Expect(worker.GetByTestId("queue-position")).ToHaveTextAsync("1");
        // Nobody who can take it is online: the page says so and invents no wait (issue 11).
        await Expect(worker.GetByTestId("estimated-wait")).ToHaveTextAsync("暂无估计");
        await Expect(worker.GetByTestId("duty-note")).ToBeVisibleAsync();
        await Expect(worker.GetByTestId("duty-note")).ToContainTextAsync("没有能接这类咨询的律师在线");
        await Expect(worker.GetByTestId("duty-note")).ToContainTextAsync("已保存");
        await Expect(worker.Locator("body")).Not.ToContainTextAsync("马上为您接通");
        await Expect(worker.Locator("body")).Not.ToContainTextAsync("同一部手机");
        await Expect(worker.GetByTestId("consultation-summary")).ToContainTextAsync(summary);
        await Expect(admin.GetByTestId("tile-waiting")).ToHaveTextAsync("1");
        await Shot(worker, "worker-queued");

        // ---- lawyer signs in: the offer arrives with a countdown
        await PageWatch.SignIn(lawyer, "/lawyer.html", lawyerUser, "wrong-password");
        await Expect(lawyer.Locator("#login-error")).ToHaveTextAsync("用户名或密码错误"); // 401 problem details
        await lawyer.GetByTestId("login-password").FillAsync(LawyerPassword);
        await lawyer.GetByTestId("login-submit").ClickAsync();
        var offer = lawyer.GetByTestId("offer");
        await Expect(offer).ToBeVisibleAsync();
        await Expect(offer).ToContainTextAsync(summary);
        await Expect(offer).ToContainTextAsync("欠薪讨薪");
        await Expect(offer.GetByTestId("offer-countdown")).ToHaveTextAsync(new Regex(@"^\d+s$"));
        var first = await offer.GetByTestId("offer-countdown").TextContentAsync();
        await Expect(offer.GetByTestId("offer-countdown")).Not.ToHaveTextAsync(first!); // it counts down
        await Expect(lawyer.GetByTestId("availability")).ToHaveValueAsync("available");
        await Expect(lawyer.Locator("#canned-list [data-testid=canned-reply]").First).ToBeVisibleAsync();
        await Shot(lawyer, "lawyer-offer");
        await offer.GetByTestId("accept").ClickAsync();

        // ---- assigned: both sides see it, the admin's active count goes up
        await Expect(lawyer.GetByTestId("offer")).ToHaveCountAsync(0);
        await Expect(lawyer.GetByTestId("consultation-tab")).ToHaveCountAsync(1);
        await Expect(lawyer.Locator("#chat-summary")).ToHaveTextAsync(summary);
        await Expect(worker.GetByTestId("status")).ToHaveTextAsync("律师服务中");
        await Expect(worker.Locator("#lawyer-name")).ToHaveTextAsync(lawyerName);
        await Expect(admin.GetByTestId("tile-active")).ToHaveTextAsync("1");
        await Expect(admin.GetByTestId("tile-waiting")).ToHaveTextAsync("0");

        // ---- worker types (lawyer sees it) and sends: "sent ✓" once durably stored
        await worker.GetByTestId("chat-input").FillAsync("律师您好");
        await Expect(lawyer.GetByTestId("typing")).ToBeVisibleAsync();
        const string q1 = "律师您好，老板说要等年底才能结工资，我现在可以去哪里投诉？";
        await worker.GetByTestId("chat-input").FillAsync(q1);
        await worker.GetByTestId("send").ClickAsync();
        var mine = worker.Locator("#messages [data-testid=message][data-mine=true]").Filter(new() { HasText = q1 });
        await Expect(mine).ToHaveCountAsync(1);
        await Expect(mine.GetByTestId("message-state")).ToHaveAttributeAsync("data-state", "sent");
        await Expect(mine.GetByTestId("message-state")).ToHaveTextAsync("已送达 ✓");
        var atLawyer = lawyer.Locator("#chat-wrap [data-testid=message][data-mine=false]").Filter(new() { HasText = q1 });
        await Expect(atLawyer).ToHaveCountAsync(1);
        await Expect(atLawyer).ToHaveAttributeAsync("data-role", "worker");

        // ---- lawyer answers: a canned reply (GET /api/canned-replies) plus a line of their own
        await lawyer.Locator("#canned-list [data-testid=canned-reply][data-id=wage-arrears-claim]").ClickAsync();
        await Expect(lawyer.GetByTestId("chat-input")).ToHaveValueAsync(new Regex("劳动保障监察"));
        await lawyer.GetByTestId("send").ClickAsync();
        const string a1 = "另外请保存好工资条和考勤记录，这些都是重要证据。";
        await lawyer.GetByTestId("chat-input").FillAsync(a1);
        await lawyer.GetByTestId("chat-input").PressAsync("Enter");
        var theirs = worker.Locator("#messages [data-testid=message][data-mine=false]");
        await Expect(theirs).ToHaveCountAsync(2);
        await Expect(theirs.Nth(0)).ToContainTextAsync("劳动保障监察");
        await Expect(theirs.Nth(1)).ToContainTextAsync(a1);
        await Expect(theirs.Nth(1)).ToContainTextAsync(lawyerName);
        var lawyerMine = lawyer.Locator("#chat-wrap [data-testid=message][data-mine=true]");
        await Expect(lawyerMine).ToHaveCountAsync(2);
        await Expect(lawyerMine.Nth(1).GetByTestId("message-state")).ToHaveAttributeAsync("data-state", "sent");

        // ---- a private note
        await lawyer.Locator(".side-tabs button[data-side=notes]").ClickAsync();
        await lawyer.GetByTestId("note-input").FillAsync("欠薪3个月共12000元，无书面合同，可主张二倍工资。");
        await lawyer.GetByTestId("add-note").ClickAsync();
        await Expect(lawyer.GetByTestId("note")).ToContainTextAsync("二倍工资");
        await Expect(lawyer.GetByTestId("note")).ToContainTextAsync(lawyerName);

        // ---- a second worker: two chats at once, unread counts, the lawyer closes one with a resolution
        var worker2 = await Open(worker2Ctx, "worker2", errors);
        await worker2.GotoAsync("/");
        await Expect(worker2.GetByTestId("category").Locator("option[value=labor_contract]")).ToHaveCountAsync(1);
        await worker2.GetByTestId("category").SelectOptionAsync("labor_contract");
        await worker2.GetByTestId("dialect").SelectOptionAsync("mandarin");
        const string summary2 = "公司让我签一份空白的劳动合同，说以后再填，我该签吗？";
        await worker2.GetByTestId("summary").FillAsync(summary2);
        await worker2.GetByTestId("submit").ClickAsync();
        var offer2 = lawyer.GetByTestId("offer").Filter(new() { HasText = summary2 });
        await Expect(offer2).ToBeVisibleAsync();
        await offer2.GetByTestId("accept").ClickAsync();
        await Expect(lawyer.GetByTestId("consultation-tab")).ToHaveCountAsync(2);
        await Expect(lawyer.Locator("#chat-summary")).ToHaveTextAsync(summary2); // the accepted one is selected
        await Expect(worker2.GetByTestId("status")).ToHaveTextAsync("律师服务中");
        await Expect(admin.GetByTestId("tile-active")).ToHaveTextAsync("2");
        const string q1b = "还有，加班费应该怎么算？";
        await worker.GetByTestId("chat-input").FillAsync(q1b);
        await worker.GetByTestId("send").ClickAsync();
        var tab1 = lawyer.GetByTestId("consultation-tab").Filter(new() { HasText = "欠薪讨薪" });
        await Expect(tab1.GetByTestId("unread")).ToHaveTextAsync("1");
        await Expect(tab1.GetByTestId("unread")).ToBeVisibleAsync();
        const string a2 = "空白合同千万不要签。请问您入职多久了？";
        await lawyer.GetByTestId("chat-input").FillAsync(a2);
        await lawyer.GetByTestId("send").ClickAsync();
        await Expect(worker2.Locator("#messages [data-testid=message][data-mine=false]").Filter(new() { HasText = a2 })).ToHaveCountAsync(1);
        await Shot(lawyer, "lawyer-two-chats");
        await lawyer.Locator(".side-tabs button[data-side=actions]").ClickAsync();
        await lawyer.GetByTestId("resolution").SelectOptionAsync("referred_mediation");
        await lawyer.GetByTestId("close-summary").FillAsync("建议先申请劳动争议调解。");
        const string advice2 = "不要签空白合同。带上身份证和工牌，一个月内到区劳动争议调解委员会申请调解。";
        await lawyer.GetByTestId("close-advice").FillAsync(advice2);
        await lawyer.GetByTestId("close-consultation").ClickAsync();
        await Expect(lawyer.GetByTestId("consultation-tab")).ToHaveCountAsync(1);
        await Expect(worker2.Locator("#closed-title")).ToHaveTextAsync("本次咨询已结束");
        // The result for the worker: the lawyer's advice, then a rating (once).
        await Expect(worker2.GetByTestId("advice")).ToHaveTextAsync(advice2);
        await Expect(worker2.GetByTestId("rate-card")).ToBeVisibleAsync();
        await worker2.GetByTestId("rate-4").ClickAsync();
        await worker2.GetByTestId("rate-submit").ClickAsync();
        await Expect(worker2.GetByTestId("rated")).ToBeVisibleAsync();
        await Expect(worker2.GetByTestId("rate-card")).ToBeHiddenAsync();
        await Expect(admin.GetByTestId("tile-active")).ToHaveTextAsync("1");
        await Expect(admin.GetByTestId("tile-closed-today")).ToHaveTextAsync("1");
        await tab1.ClickAsync();
        await Expect(tab1.GetByTestId("unread")).ToBeHiddenAsync();
        await Expect(lawyer.Locator("#chat-wrap [data-testid=message]").Filter(new() { HasText = q1b })).ToHaveCountAsync(1);

        await Shot(worker, "worker-chat");
        await Shot(worker, "worker-chat-viewport", fullPage: false);
        await Shot(lawyer, "lawyer-chat");
        await Shot(admin, "admin-wall");

        // ---- the worker reloads: the token in localStorage resumes the chat with its history
        await worker.ReloadAsync();
        await Expect(worker.GetByTestId("status")).ToHaveTextAsync("律师服务中");
        await Expect(worker.Locator("#messages [data-testid=message][data-mine=true]").Filter(new() { HasText = q1 })).ToHaveCountAsync(1);
        await Expect(worker.Locator("#messages [data-testid=message][data-mine=false]")).ToHaveCountAsync(2);
        await Expect(worker.Locator("#messages [data-testid=message][data-mine=true]").First.GetByTestId("message-state")).ToHaveTextAsync("已送达 ✓");
        // ---- the network drops: the banner shows, a message typed meanwhile waits and goes out after the reconnect
        await workerCtx.SetOfflineAsync(true);
        Volatile.Write(ref cut, true);
        IWebSocketRoute[] open;
        lock (workerSockets) { open = [.. workerSockets]; workerSockets.Clear(); }
        foreach (var ws in open) await ws.CloseAsync(new() { Code = 4000, Reason = "network lost" });
        await Expect(worker.GetByTestId("connection-banner")).ToBeVisibleAsync();
        await Expect(worker.GetByTestId("connection-banner")).ToContainTextAsync("重新连接");
        const string q2 = "好的，谢谢您！我明天就去劳动监察大队。";
        await worker.GetByTestId("chat-input").FillAsync(q2);
        await worker.GetByTestId("send").ClickAsync();
        await Expect(worker.Locator("#messages [data-testid=message][data-pending=true]").Filter(new() { HasText = q2 })).ToHaveCountAsync(1);
        await Shot(worker, "worker-offline", fullPage: false);
        Volatile.Write(ref cut, false);
        await workerCtx.SetOfflineAsync(false);
        await Expect(worker.GetByTestId("connection-banner")).ToBeHiddenAsync();
        await Expect(lawyer.Locator("#chat-wrap [data-testid=message]").Filter(new() { HasText = q2 })).ToHaveCountAsync(1);
        await Expect(worker.Locator("#messages [data-testid=message][data-mine=true]").Filter(new() { HasText = q2 }).GetByTestId("message-state"))
            .ToHaveAttributeAsync("data-state", "sent");

        // ---- the worker closes with a rating; both sides and the admin see it
        await worker.GetByTestId("close").ClickAsync();
        await worker.GetByTestId("rating-5").ClickAsync();
        await worker.GetByTestId("close-comment").FillAsync("律师很耐心，谢谢！");
        await Shot(worker, "worker-rate", fullPage: false);
        await worker.GetByTestId("confirm-close").ClickAsync();
        await Expect(worker.GetByTestId("new-consultation")).ToBeVisibleAsync();
        await Expect(worker.Locator("#closed-title")).ToHaveTextAsync("本次咨询已结束");
        await Expect(worker.Locator("#closed-messages [data-testid=message]").Filter(new() { HasText = q2 })).ToHaveCountAsync(1);
        await Expect(lawyer.Locator("#chat-status")).ToHaveTextAsync("已结束");
        await Expect(lawyer.GetByTestId("chat-input")).ToBeDisabledAsync();
        await Expect(lawyer.GetByTestId("close-consultation")).ToHaveTextAsync("移出列表");
        await Expect(admin.GetByTestId("tile-active")).ToHaveTextAsync("0");
        await Expect(admin.GetByTestId("tile-closed-today")).ToHaveTextAsync("2");
        var ourRow = admin.Locator($"[data-testid=roster-row][data-lawyer-id='lw-{lawyerUser}']");
        await Expect(ourRow).ToContainTextAsync("0/3");
        await Expect(ourRow).ToContainTextAsync("空闲");
        await Shot(worker, "worker-closed");
        await Shot(lawyer, "lawyer-closed");
        await Shot(admin, "admin-after");

        // ---- the admin's links: hourly CSV download, Orleans dashboard, API docs
        var download = await admin.RunAndWaitForDownloadAsync(() => admin.GetByTestId("report-csv").ClickAsync());
        var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.StartsWith("hour,category,arrived,answered", csv);
        Assert.Contains(",unpaid_wages,", csv);
        foreach (var path in new[] { "dashboard", "scalar" })
        {
            using var r = await server.Http.GetAsync(path);
            Assert.True(r.IsSuccessStatusCode, $"/{path} answered {(int)r.StatusCode}");
        }

        Assert.True(errors.Count == 0, "page errors:\n" + string.Join("\n", errors));
    }

    private Task<IPage> Open(IBrowserContext context, string name, List<string> errors) => PageWatch.Open(context, name, errors, output);

    private async Task Shot(IPage page, string name, bool fullPage = true)
    {
        var path = Path.Combine(Browser.ArtifactsDir, name + ".png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = fullPage });
        output.WriteLine($"screenshot: {path}");
        Console.WriteLine($"screenshot: {path}");
    }
}
