using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

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
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
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
        await using var adminCtx = await browser.NewContextAsync(desktop);
        await using var lawyerCtx = await browser.NewContextAsync(desktop);
        await using var workerCtx = await browser.NewContextAsync(new()
        {
            BaseURL = server.BaseUrl, ViewportSize = new() { Width = 390, Height = 844 }, DeviceScaleFactor = 2, IsMobile = true, HasTouch = true,
            Locale = "zh-CN", TimezoneId = "Asia/Shanghai",
            UserAgent = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Mobile Safari/537.36",
        });
        var admin = await Open(adminCtx, "admin", errors);
        var lawyer = await Open(lawyerCtx, "lawyer", errors);
        var worker = await Open(workerCtx, "worker", errors);

        // ---- admin signs in: tiles and roster from the live server
        await admin.GotoAsync("/admin.html");
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
        await Expect(worker.GetByTestId("estimated-wait")).Not.ToHaveTextAsync("—");
        await Expect(worker.GetByTestId("consultation-summary")).ToContainTextAsync(summary);
        await Expect(admin.GetByTestId("tile-waiting")).ToHaveTextAsync("1");
        await Shot(worker, "worker-queued");

        // ---- lawyer signs in: the offer arrives with a countdown
        await lawyer.GotoAsync("/lawyer.html");
        await lawyer.GetByTestId("login-username").FillAsync(lawyerUser);
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

        await Shot(worker, "worker-chat");
        await Shot(lawyer, "lawyer-chat");
        await Shot(admin, "admin-wall");

        // ---- the worker reloads: the token in localStorage resumes the chat with its history
        await worker.ReloadAsync();
        await Expect(worker.GetByTestId("status")).ToHaveTextAsync("律师服务中");
        await Expect(worker.Locator("#messages [data-testid=message][data-mine=true]").Filter(new() { HasText = q1 })).ToHaveCountAsync(1);
        await Expect(worker.Locator("#messages [data-testid=message][data-mine=false]")).ToHaveCountAsync(2);
        await Expect(worker.Locator("#messages [data-testid=message][data-mine=true]").First.GetByTestId("message-state")).ToHaveTextAsync("已送达 ✓");
        const string q2 = "好的，谢谢您！我明天就去劳动监察大队。";
        await worker.GetByTestId("chat-input").FillAsync(q2);
        await worker.GetByTestId("send").ClickAsync();
        await Expect(lawyer.Locator("#chat-wrap [data-testid=message]").Filter(new() { HasText = q2 })).ToHaveCountAsync(1);
        await Expect(worker.Locator("#messages [data-testid=message][data-mine=true]").Filter(new() { HasText = q2 }).GetByTestId("message-state"))
            .ToHaveAttributeAsync("data-state", "sent");

        // ---- the worker closes with a rating; both sides and the admin see it
        await worker.GetByTestId("close").ClickAsync();
        await worker.GetByTestId("rating-5").ClickAsync();
        await worker.GetByTestId("close-comment").FillAsync("律师很耐心，谢谢！");
        await Shot(worker, "worker-rate");
        await worker.GetByTestId("confirm-close").ClickAsync();
        await Expect(worker.GetByTestId("new-consultation")).ToBeVisibleAsync();
        await Expect(worker.Locator("#closed-title")).ToHaveTextAsync("本次咨询已结束");
        await Expect(worker.Locator("#closed-messages [data-testid=message]").Filter(new() { HasText = q2 })).ToHaveCountAsync(1);
        await Expect(lawyer.Locator("#chat-status")).ToHaveTextAsync("已结束");
        await Expect(lawyer.GetByTestId("chat-input")).ToBeDisabledAsync();
        await Expect(admin.GetByTestId("tile-active")).ToHaveTextAsync("0");
        await Expect(admin.GetByTestId("tile-closed-today")).ToHaveTextAsync("1");
        await Shot(worker, "worker-closed");
        await Shot(lawyer, "lawyer-closed");
        await Shot(admin, "admin-after");

        Assert.True(errors.Count == 0, "page errors:\n" + string.Join("\n", errors));
    }

    private async Task<IPage> Open(IBrowserContext context, string name, List<string> errors)
    {
        var page = await context.NewPageAsync();
        page.Console += (_, m) =>
        {
            if (m.Type is "error" or "warning") output.WriteLine($"[{name} console.{m.Type}] {m.Text}");
        };
        page.PageError += (_, e) =>
        {
            lock (errors) errors.Add($"[{name}] {e}");
            output.WriteLine($"[{name} pageerror] {e}");
        };
        return page;
    }

    private async Task Shot(IPage page, string name)
    {
        var path = Path.Combine(Browser.ArtifactsDir, name + ".png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        output.WriteLine($"screenshot: {path}");
        Console.WriteLine($"screenshot: {path}");
    }
}
