using System.Globalization;
using System.Text;

namespace Hotline.E2E.Tests;

/// <summary>
/// Issue 14: the pages opted into the MessagePack hub protocol (<c>?protocol=messagepack</c>). A worker and a lawyer chat
/// both ways; the worker's WebSocket is watched to prove it negotiated MessagePack and carries the chat as binary frames,
/// and the pages read the MessagePack payloads as they read JSON (names, roles, instants).
/// </summary>
public sealed class MessagePackPagesTests(HotlineServer server, ITestOutputHelper output) : IClassFixture<HotlineServer>
{
    private const string Password = "e2e-msgpack-12351";

    [Fact]
    public async Task Worker_and_lawyer_chat_over_MessagePack_in_binary_frames()
    {
        SetDefaultExpectTimeout(30_000);
        await using var launched = await Browser.StartAsync();
        var browser = launched.Browser;
        var errors = new List<string>();
        var adminToken = await server.LoginAsync("admin", "admin12351");
        var username = "mp." + Guid.NewGuid().ToString("N")[..8];
        const string lawyerName = "包 律师";
        await server.CreateLawyerAsync(adminToken, username, Password, lawyerName, ["unpaid_wages"], ["mandarin"], 2);

        var options = new BrowserNewContextOptions { BaseURL = server.BaseUrl, ViewportSize = new() { Width = 1280, Height = 900 }, Locale = "zh-CN" };
        await using var workerCtx = await browser.NewContextAsync(options);
        await using var lawyerCtx = await browser.NewContextAsync(options);
        var worker = await PageWatch.Open(workerCtx, "worker", errors, output);
        var lawyer = await PageWatch.Open(lawyerCtx, "lawyer", errors, output);

        // Every frame of the worker's WebSocket as Chromium saw it (DevTools protocol: the opcode says text or binary).
        var frames = new List<(bool Sent, int Opcode, byte[] Payload)>();
        var cdp = await workerCtx.NewCDPSessionAsync(worker);
        void Watch(string name, bool up) => cdp.Event(name).OnEvent += (_, e) =>
        {
            if (e is not { } p || !p.TryGetProperty("response", out var r)) return;
            var opcode = r.GetProperty("opcode").GetInt32();
            var data = r.GetProperty("payloadData").GetString() ?? "";
            // Binary payloads come base64-encoded, text as it is.
            var payload = opcode == 2 ? Convert.FromBase64String(data) : Encoding.UTF8.GetBytes(data);
            lock (frames) frames.Add((up, opcode, payload));
        };
        Watch("Network.webSocketFrameSent", up: true);
        Watch("Network.webSocketFrameReceived", up: false);
        await cdp.SendAsync("Network.enable");

        // ---- the lawyer signs in with MessagePack and is available
        await PageWatch.SignIn(lawyer, "/lawyer.html?protocol=messagepack", username, Password);
        await Expect(lawyer.Locator("html")).ToHaveAttributeAsync("data-hub-protocol", "messagepack");
        await lawyer.GetByTestId("availability").SelectOptionAsync("available");
        await Expect(lawyer.Locator("#status-dot[data-status=available]")).ToHaveCountAsync(1);

        // ---- the worker opens a consultation with MessagePack; the lawyer's offer (a pushed object) shows its summary
        await worker.GotoAsync("/?protocol=messagepack");
        await Expect(worker.GetByTestId("category").Locator("option[value=unpaid_wages]")).ToHaveCountAsync(1);
        await worker.GetByTestId("category").SelectOptionAsync("unpaid_wages");
        await worker.GetByTestId("dialect").SelectOptionAsync("mandarin");
        const string summary = "工地老板欠了我两个月工资，一共九千元。";
        await worker.GetByTestId("summary").FillAsync(summary);
        await worker.GetByTestId("submit").ClickAsync();
        // The worker's page connects its hub once it has a consultation.
        await Expect(worker.Locator("html")).ToHaveAttributeAsync("data-hub-protocol", "messagepack");
        var offer = lawyer.GetByTestId("offer");
        await Expect(offer).ToContainTextAsync(summary);
        await Expect(offer.GetByTestId("offer-countdown")).ToHaveTextAsync(new Regex(@"^\d+s$")); // expiresAt read as an instant
        await offer.GetByTestId("accept").ClickAsync();
        await Expect(worker.GetByTestId("status")).ToHaveTextAsync("律师服务中");
        await Expect(worker.Locator("#lawyer-name")).ToHaveTextAsync(lawyerName);

        // ---- messages both ways: the ack (the worker's "sent ✓") and the pushes arrive, with readable times
        const string question = "请问我应该先去劳动监察大队还是直接申请仲裁？";
        await worker.GetByTestId("chat-input").FillAsync(question);
        await worker.GetByTestId("send").ClickAsync();
        var mine = worker.Locator("#messages [data-testid=message][data-mine=true]").Filter(new() { HasText = question });
        await Expect(mine.GetByTestId("message-state")).ToHaveAttributeAsync("data-state", "sent");
        var atLawyer = lawyer.Locator("#chat-wrap [data-testid=message][data-mine=false]").Filter(new() { HasText = question });
        await Expect(atLawyer).ToHaveAttributeAsync("data-role", "worker");
        var sentAt = await atLawyer.Locator("time").GetAttributeAsync("datetime");
        Assert.True(DateTimeOffset.TryParse(sentAt, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at), $"sentAt '{sentAt}' is not an instant");
        Assert.InRange(at, DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow.AddMinutes(1));
        await Expect(atLawyer.Locator("time")).ToHaveTextAsync(new Regex(@"\d{1,2}:\d{2}"));

        const string answer = "两条路都可以，先去监察大队投诉通常更快。";
        await lawyer.GetByTestId("chat-input").FillAsync(answer);
        await lawyer.GetByTestId("send").ClickAsync();
        var theirs = worker.Locator("#messages [data-testid=message][data-mine=false]").Filter(new() { HasText = answer });
        await Expect(theirs).ToContainTextAsync(lawyerName);

        // ---- the wire: the handshake (a text frame) asked for MessagePack, and the chat went both ways as binary frames
        (bool Sent, int Opcode, byte[] Payload)[] seen;
        lock (frames) seen = [.. frames];
        Assert.Contains(seen, f => f is { Sent: true, Opcode: 1 } && Encoding.UTF8.GetString(f.Payload).Contains("\"protocol\":\"messagepack\"", StringComparison.Ordinal));
        bool Carries(byte[] payload, string text) => payload.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;
        Assert.Contains(seen, f => f is { Sent: false, Opcode: 2 } && Carries(f.Payload, answer));
        Assert.Contains(seen, f => f is { Sent: true, Opcode: 2 } && Carries(f.Payload, question));
        Assert.DoesNotContain(seen, f => f.Opcode == 1 && (Carries(f.Payload, answer) || Carries(f.Payload, question)));

        // ---- the admin wall over MessagePack reads its pushes too (the live counters)
        await using var adminCtx = await browser.NewContextAsync(options);
        var admin = await PageWatch.Open(adminCtx, "admin", errors, output);
        await PageWatch.SignIn(admin, "/admin.html?protocol=messagepack", "admin", "admin12351");
        await Expect(admin.Locator("html")).ToHaveAttributeAsync("data-hub-protocol", "messagepack");
        await Expect(admin.GetByTestId("tile-active")).ToHaveTextAsync("1");
        await Expect(admin.GetByTestId("metrics-updated-at")).ToHaveTextAsync(new Regex("更新于"));
        await Expect(admin.GetByTestId("metrics-updated-at")).ToHaveAttributeAsync("data-at", new Regex(@"^\d{4}-\d{2}-\d{2}T")); // the pushed instant

        Assert.True(errors.Count == 0, "page errors:\n" + string.Join("\n", errors));
    }
}
