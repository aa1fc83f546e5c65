namespace Hotline.E2E.Tests;

/// <summary>
/// The pages' chat (<c>wwwroot/js/chat.js</c>) under early delivery, in real Chromium without a server: the page and its
/// modules are served from the repository's wwwroot through Playwright routing, and the <c>Chat</c> class is driven with
/// the events the hubs send. Checks the reconciliation by (seq, clientMessageId): replace, withdraw, drop on rejoin, and
/// an own message held as "sending…" until its ack even when its <c>Message</c> event came first (and was withdrawn).
/// </summary>
public sealed class ChatReconciliationTests(ITestOutputHelper output)
{
    private const string Origin = "http://chat.test";

    private static string WwwRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var root = Path.Combine(dir.FullName, "silo", "Hotline.Silo", "wwwroot");
            if (File.Exists(Path.Combine(root, "js", "chat.js"))) return root;
        }
        throw new DirectoryNotFoundException("silo/Hotline.Silo/wwwroot not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public async Task Chat_replaces_withdraws_drops_unstored_on_rejoin_and_holds_own_messages_until_the_ack()
    {
        var root = WwwRoot();
        await using var launched = await Browser.StartAsync();
        var page = await launched.Browser.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, e) => { lock (errors) errors.Add(e); output.WriteLine("[pageerror] " + e); };
        await page.RouteAsync(Origin + "/**", async route =>
        {
            var path = new Uri(route.Request.Url).AbsolutePath;
            var file = Path.GetFullPath(Path.Combine(root, path.TrimStart('/')));
            if (path == "/")
                await route.FulfillAsync(new() { ContentType = "text/html", Body = "<!doctype html><html><body></body></html>" });
            else if (file.StartsWith(root, StringComparison.Ordinal) && File.Exists(file) && file.EndsWith(".js", StringComparison.Ordinal))
                await route.FulfillAsync(new() { ContentType = "text/javascript", Body = await File.ReadAllTextAsync(file) });
            else
                await route.FulfillAsync(new() { Status = 404, Body = "" });
        });
        await page.GotoAsync(Origin + "/");

        var result = await page.EvaluateAsync<JsonElement>("""
            async () => {
              const { Chat } = await import("/js/chat.js");
              const at = new Date().toISOString();
              const shown = (list) => [...list.children].map((n) => n.dataset.pending === "true"
                ? `pending:${n.querySelector("[data-state]").dataset.state}`
                : `${n.dataset.seq}=${n.querySelector(".text").textContent}` + (n.dataset.mine === "true" ? `:${n.querySelector("[data-state]")?.dataset.state}` : ""));
              const msg = (consultationId, seq, clientMessageId, text, senderRole = "lawyer") =>
                ({ consultationId, seq, senderRole, senderId: senderRole === "lawyer" ? "l1" : "w1", senderName: "", text, sentAt: at, clientMessageId });
              const r = {};

              // The recipient: the other side's messages.
              const list = document.createElement("div");
              document.body.append(list);
              const chat = new Chat({ list, consultationId: "c1", isMine: (m) => m.senderRole === "worker", myRole: "worker", myId: "w1" });
              chat.merge([msg("c1", 1, "a", "one")]);
              chat.merge([msg("c1", 2, "b", "two")]);
              r.twoShown = shown(list);
              r.withdrawn = chat.withdraw({ consultationId: "c1", seq: 2, clientMessageId: "b" });
              r.otherIdKept = chat.withdraw({ consultationId: "c1", seq: 1, clientMessageId: "not-a" });
              r.afterWithdraw = shown(list);
              chat.merge([msg("c1", 2, "c", "two again")]);
              chat.merge([msg("c1", 2, "d", "replaced")]);
              chat.merge([msg("c1", 2, "d", "replaced")]);
              r.afterReplace = shown(list);
              // Seq 3 pushed early, its withdrawal missed while away: the rejoin reads from 2 and drops it.
              chat.merge([msg("c1", 3, "e", "never stored")]);
              r.rejoinFrom = chat.rejoinSeq();
              chat.joined({ consultation: { id: "c1", lastSeq: 2 }, missed: [msg("c1", 2, "d", "replaced")] });
              r.afterRejoin = shown(list);
              // A push that arrives after the join was sent is a newer message: kept.
              chat.rejoinSeq();
              chat.merge([msg("c1", 3, "f", "three")]);
              chat.joined({ consultation: { id: "c1", lastSeq: 2 }, missed: [] });
              r.keptAfterMark = shown(list);

              // The sender: its own message's event comes before the ack, is withdrawn, the send fails, the retry is acked.
              const list2 = document.createElement("div");
              document.body.append(list2);
              const mine = new Chat({ list: list2, consultationId: "c2", isMine: (m) => m.senderRole === "worker", myRole: "worker", myId: "w1" });
              let fail;
              const sending = mine.send("hello", () => new Promise((_, reject) => { fail = reject; }));
              const id = [...mine.pending.keys()][0];
              mine.merge([msg("c2", 1, id, "hello", "worker")]);
              r.heldBeforeAck = shown(list2);
              mine.withdraw({ consultationId: "c2", seq: 1, clientMessageId: id });
              fail(new Error("HubException: internal_error: unexpected failure"));
              await sending;
              r.afterFailure = shown(list2);
              await mine.flush(async (method, consultationId, clientMessageId) => {
                mine.merge([msg("c2", 1, clientMessageId, "hello", "worker")]);
                r.heldOnRetry = shown(list2);
                return { seq: 1, sentAt: at, duplicate: false };
              });
              r.afterAck = shown(list2);
              r.pendingLeft = mine.pending.size;
              return r;
            }
            """);
        output.WriteLine(result.ToString());

        string[] Strings(string name) => result.GetProperty(name).EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(["1=one", "2=two"], Strings("twoShown"));
        Assert.True(result.GetProperty("withdrawn").GetBoolean());
        Assert.False(result.GetProperty("otherIdKept").GetBoolean());
        Assert.Equal(["1=one"], Strings("afterWithdraw"));
        Assert.Equal(["1=one", "2=replaced"], Strings("afterReplace"));
        Assert.Equal(2, result.GetProperty("rejoinFrom").GetInt32());
        Assert.Equal(["1=one", "2=replaced"], Strings("afterRejoin"));
        Assert.Equal(["1=one", "2=replaced", "3=three"], Strings("keptAfterMark"));
        Assert.Equal(["pending:sending"], Strings("heldBeforeAck"));
        Assert.Equal(["pending:failed"], Strings("afterFailure"));
        Assert.Equal(["pending:sending"], Strings("heldOnRetry"));
        Assert.Equal(["1=hello:sent"], Strings("afterAck"));
        Assert.Equal(0, result.GetProperty("pendingLeft").GetInt32());
        Assert.Empty(errors);
    }
}
