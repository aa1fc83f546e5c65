using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Hotline.Fuzz;

/// <summary>A hub method and the valid form of each argument (raw JSON, given the fuzzer's world).</summary>
public sealed record HubMethod(string Name, params Func<World, string>[] Arguments);

/// <summary>Hostile invocations of every hub method and hostile frames on the wire; the oracle checks each answer.</summary>
public sealed class HubFuzz(World world, Report report) : IAsyncDisposable
{
    // SignalR sends a HubException's message as "... HubException: code: detail".
    private static readonly Regex Coded = new("(?:^|HubException: )([a-z_]+): ", RegexOptions.Compiled);
    private static string S(string s) => Hostile.Str(s);

    // Methods that end or hand over a consultation are aimed at the queued one, so the active chat goes on.
    private static readonly HubMethod[] Shared =
    [
        new("JoinConsultation", w => S(w.Active), _ => "0"),
        new("SendMessage", w => S(w.Active), _ => S("fuzz-" + Guid.NewGuid().ToString("N")), _ => S("fuzz text")),
        new("Typing", w => S(w.Active)),
        new("GetMyConsultations"),
    ];

    public static readonly HubMethod[] Worker =
    [
        .. Shared,
        new("CloseConsultation", w => S(w.Queued), _ => "5", _ => S("ok")),
        new("RateConsultation", w => S(w.Queued), _ => "5", _ => S("ok")),
    ];

    public static readonly HubMethod[] Lawyer =
    [
        .. Shared,
        new("SetAvailability", _ => S("available")),
        new("SetCapacity", _ => "1"),
        new("GetMe"),
        new("DeclareConflict", _ => S("Fuzz Employer Ltd")),
        new("AcceptOffer", w => S(w.Queued)),
        new("GetQueue"),
        new("Claim", w => S(w.Queued)),
        new("DeclineOffer", w => S(w.Queued)),
        new("Transfer", w => S(w.Queued), _ => "{\"toCategory\":\"dismissal\",\"note\":\"n\"}"),
        new("AddNote", w => S(w.Active), _ => S("note")),
        new("GetNotes", w => S(w.Active)),
        new("CloseConsultation", w => S(w.Queued), _ => S("answered"), _ => S("s"), _ => S("a")),
        new("RecordCallAttempt", w => S(w.Queued), _ => S("reached")),
    ];

    public static readonly HubMethod[] Admin = [new("GetMetrics")];

    private static readonly string[] Unknown = ["Foo", "", "OnConnectedAsync", "Dispose", "sendmessage", "GetType", "ToString", "Context", new string('M', 5000)];

    private readonly Dictionary<string, RawHub> _open = [];
    private long _next;

    private (string Path, string Token, HubMethod[] Methods) Hub(string which) => which switch
    {
        "worker" => ("/hubs/worker", world.Worker.Token, Worker),
        "lawyer" => ("/hubs/lawyer", world.Lawyer.Token, Lawyer),
        _ => ("/hubs/admin", world.AdminToken, Admin),
    };

    /// <summary>One hostile input: mostly an invocation with hostile arguments, sometimes a hostile frame or handshake.</summary>
    public async Task One(Hostile h, CancellationToken cancellationToken)
    {
        var which = h.Pick("worker", "worker", "lawyer", "lawyer", "lawyer", "admin");
        var roll = h.Rng.Next(100);
        if (roll < 80) await Invocation(h, which, cancellationToken);
        else if (roll < 95) await Frame(h, which, cancellationToken);
        else await Handshake(h, which, cancellationToken);
    }

    private async Task<RawHub?> Open(string which, CancellationToken cancellationToken)
    {
        if (_open.TryGetValue(which, out var hub) && hub.IsOpen) return hub;
        if (hub is not null) await hub.DisposeAsync();
        _open.Remove(which);
        var (path, token, _) = Hub(which);
        try
        {
            var (fresh, answer) = await RawHub.Connect(world.Target.Url, path, token, null, cancellationToken);
            if (answer != "{}")
            {
                report.Finding("hub handshake refused", $"HUB {which} valid handshake", answer ?? await fresh.Closed);
                await fresh.DisposeAsync();
                return null;
            }
            return _open[which] = fresh;
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            report.Finding("hub connect failed", $"HUB {which} connect", e.Message);
            return null;
        }
    }

    private async Task Invocation(Hostile h, string which, CancellationToken cancellationToken)
    {
        var (_, _, methods) = Hub(which);
        var method = h.Rng.Next(12) == 0 ? new HubMethod(h.Pick(Unknown)) : h.Pick(methods);
        var args = method.Arguments.Select(a => a(world)).ToList();
        var kind = "args";
        switch (h.Rng.Next(10))
        {
            case 0: args.Clear(); kind = "no-args"; break;
            case 1: args.Add(h.Fragment()); kind = "extra-arg"; break;
            case 2: args = Enumerable.Range(0, 60).Select(_ => "1").ToList(); kind = "60-args"; break;
            default:
                if (args.Count == 0) { args.Add(h.Fragment()); kind = "extra-arg"; break; }
                foreach (var i in Enumerable.Range(0, args.Count).OrderBy(_ => h.Rng.Next()).Take(h.Rng.Next(1, args.Count + 1)))
                    args[i] = h.Rng.Next(8) == 0 ? "null" : h.Fragment();
                break;
        }
        var id = "f" + Interlocked.Increment(ref _next);
        var argumentsJson = h.Rng.Next(25) == 0 ? h.Pick("{}", "\"x\"", "null", "1") : "[" + string.Join(",", args) + "]";
        var frameText = $"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":{Hostile.Str(method.Name)},\"arguments\":{argumentsJson}}}";
        var frame = Encoding.UTF8.GetBytes(frameText + RawHub.Separator);
        if (h.Rng.Next(15) == 0) { frame = h.BreakUtf8(frameText).Append((byte)RawHub.Separator).ToArray(); kind += "+invalid-utf8"; }
        var label = $"HUB {which}.{Trim(method.Name, 40)} [{kind}] {RestFuzz.Trim(argumentsJson)}";

        var hub = await Open(which, cancellationToken);
        if (hub is null) return;
        var (completion, closedWith) = await hub.Invoke(id, frame, TimeSpan.FromSeconds(30), cancellationToken);
        if (completion is { } c)
        {
            JudgeCompletion(c, label);
            if (!c.TryGetProperty("error", out _) && method.Name == "SendMessage" && args.Count == 3 && args[0] == S(world.Active)
                && c.TryGetProperty("result", out var ack) && ack.ValueKind == JsonValueKind.Object
                && ack.TryGetProperty("duplicate", out var dup) && dup.ValueKind == JsonValueKind.False)
                report.Count("state:active-messages-acked");
            return;
        }
        if (closedWith is not null)
        {
            // The server may end a connection whose frame it cannot read (not JSON, too deep, over 64 KB, not UTF-8):
            // that is the protocol. A readable, well-formed invocation must get an answer instead.
            if (WellFormed(frame)) report.Finding("hub closed the connection on a well-formed invocation", label, closedWith);
            else report.Count("hub:closed(unreadable frame)");
            return;
        }
        report.Finding("hub invocation not answered in 30 s", label, "no completion");
    }

    private void JudgeCompletion(JsonElement c, string label)
    {
        if (!c.TryGetProperty("error", out var error))
        {
            report.Count("hub:ok");
            report.Accepted("hub " + label.Split(' ')[1], label);
            return;
        }
        var text = error.GetString() ?? "";
        var m = Coded.Match(text);
        if (!m.Success || !RestFuzz.Codes.Contains(m.Groups[1].Value))
            report.Finding("hub error without a stable code", label, text);
        else report.Count("hubcode:" + m.Groups[1].Value);
    }

    private static bool WellFormed(byte[] frame)
    {
        if (frame.Length > 64 * 1024) return false;
        try
        {
            var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(frame).TrimEnd(RawHub.Separator);
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("arguments", out var a) && a.ValueKind == JsonValueKind.Array;
        }
        catch (Exception e) when (e is JsonException or DecoderFallbackException) { return false; }
    }

    /// <summary>Frames that are not invocations, or not frames at all, on a connection of their own.</summary>
    private async Task Frame(Hostile h, string which, CancellationToken cancellationToken)
    {
        var (path, token, methods) = Hub(which);
        var name = Hostile.Str(h.Pick(methods).Name);
        var (kind, bytes, type) = h.Rng.Next(13) switch
        {
            0 => ("invalid-json", Encoding.UTF8.GetBytes("{\"type\":1,\"target\":" + RawHub.Separator), WebSocketMessageType.Text),
            1 => ("invalid-utf8", h.BreakUtf8("{\"type\":1,\"invocationId\":\"x\",\"target\":" + name + ",\"arguments\":[\"abc\"]}").Append((byte)RawHub.Separator).ToArray(), WebSocketMessageType.Text),
            2 => ("unknown-type", Encoding.UTF8.GetBytes(h.Pick("{\"type\":99}", "{}", "{\"type\":\"1\"}", "{\"type\":-1}", "[]", "1") + RawHub.Separator), WebSocketMessageType.Text),
            3 => ("oversize", Encoding.UTF8.GetBytes("{\"type\":1,\"invocationId\":\"x\",\"target\":" + name + ",\"arguments\":[" + Hostile.Str(new string('o', 200_000)) + "]}" + RawHub.Separator), WebSocketMessageType.Text),
            4 => ("binary", Encoding.UTF8.GetBytes("{\"type\":6}" + RawHub.Separator), WebSocketMessageType.Binary),
            5 => ("stream-invocation", Encoding.UTF8.GetBytes("{\"type\":4,\"invocationId\":\"s\",\"target\":" + name + ",\"arguments\":[]}" + RawHub.Separator), WebSocketMessageType.Text),
            6 => ("cancel-unknown", Encoding.UTF8.GetBytes("{\"type\":5,\"invocationId\":\"nope\"}" + RawHub.Separator), WebSocketMessageType.Text),
            7 => ("client-completion", Encoding.UTF8.GetBytes("{\"type\":3,\"invocationId\":\"x\",\"result\":1}" + RawHub.Separator), WebSocketMessageType.Text),
            8 => ("close", Encoding.UTF8.GetBytes("{\"type\":7,\"error\":\"bye\"}" + RawHub.Separator), WebSocketMessageType.Text),
            9 => ("no-separator", Encoding.UTF8.GetBytes("{\"type\":6}"), WebSocketMessageType.Text),
            10 => ("deep", Encoding.UTF8.GetBytes("{\"type\":1,\"invocationId\":\"x\",\"target\":" + name + ",\"arguments\":[" + h.Deep(5000) + "]}" + RawHub.Separator), WebSocketMessageType.Text),
            11 => ("stream-ids", Encoding.UTF8.GetBytes("{\"type\":1,\"invocationId\":\"x\",\"target\":" + name + ",\"arguments\":[],\"streamIds\":[\"a\",\"b\"]}" + RawHub.Separator), WebSocketMessageType.Text),
            _ => ("many-records", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"type\":6}" + RawHub.Separator, 5000))), WebSocketMessageType.Text),
        };
        var label = $"HUB {which} frame [{kind}]";
        RawHub? hub = null;
        try
        {
            (hub, var answer) = await RawHub.Connect(world.Target.Url, path, token, null, cancellationToken);
            if (answer != "{}") { report.Finding("hub handshake refused", label, answer ?? "closed"); return; }
            await hub.SendBytes(bytes, type, cancellationToken);
            // Then a call that must be answered unless the frame ended the connection.
            var (completion, closedWith) = await hub.Invoke("after", Encoding.UTF8.GetBytes("{\"type\":1,\"invocationId\":\"after\",\"target\":\"GetMyConsultations\",\"arguments\":[]}" + RawHub.Separator),
                TimeSpan.FromSeconds(30), cancellationToken);
            if (completion is { } c) JudgeCompletion(c, label + " then a valid call");
            else if (closedWith is not null) report.Count($"hub:frame-closed:{kind}");
            else if (kind is not ("no-separator")) report.Finding("hub stopped answering after a hostile frame", label, "no completion for the next call");
            else report.Count("hub:frame-pending:no-separator");
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            report.Finding("hub connect failed", label, e.Message);
        }
        finally
        {
            if (hub is not null) await hub.DisposeAsync();
        }
        report.Count("hub:frame:" + kind);
    }

    /// <summary>Hostile handshakes and tokens: the server refuses them (answer with an error, or a close), never hangs.</summary>
    private async Task Handshake(Hostile h, string which, CancellationToken cancellationToken)
    {
        var (path, token, _) = Hub(which);
        var handshake = h.Pick("{\"protocol\":\"xml\",\"version\":1}", "{\"protocol\":\"json\",\"version\":99}", "garbage", "{}", "{\"protocol\":\"messagepack\",\"version\":1}",
            "{\"protocol\":\"json\"}", "{\"protocol\":" + Hostile.Str(new string('p', 10_000)) + ",\"version\":1}");
        var badToken = h.Pick<string?>(token, null, "not-a-jwt", world.Worker.Token, token + "x");
        var label = $"HUB {which} handshake {RestFuzz.Trim(handshake)} token={(badToken == token ? "own" : badToken is null ? "none" : "other")}";
        try
        {
            var (hub, answer) = await RawHub.Connect(world.Target.Url, path, badToken, handshake, cancellationToken);
            await hub.DisposeAsync();
            report.Count(answer is null ? "hub:handshake-closed" : answer == "{}" ? "hub:handshake-accepted" : "hub:handshake-error");
        }
        catch (WebSocketException)
        {
            report.Count("hub:handshake-http-refused"); // 401/403 at the HTTP upgrade
        }
    }

    private static string Trim(string s, int n) => s.Length > n ? s[..n] + "..." : s;

    public async ValueTask DisposeAsync()
    {
        foreach (var hub in _open.Values) await hub.DisposeAsync();
        _open.Clear();
    }
}
