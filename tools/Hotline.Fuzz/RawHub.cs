using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Hotline.Fuzz;

/// <summary>A bare SignalR JSON-protocol connection over a WebSocket: sends any bytes, reports each answer as it is.</summary>
public sealed class RawHub : IAsyncDisposable
{
    public const char Separator = '\u001e';
    private readonly ClientWebSocket _ws = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _send = new(1, 1);
    private Task? _reader;

    /// <summary>Completed with the reason when the server ends the connection.</summary>
    public Task<string> Closed => _closed.Task;
    public bool IsOpen => !_closed.Task.IsCompleted && _ws.State == WebSocketState.Open;

    /// <summary>Connects and sends <paramref name="handshake"/> (the JSON protocol's, unless a hostile one is given);
    /// returns the connection and the handshake answer (null when the server closed instead).</summary>
    public static async Task<(RawHub Hub, string? Answer)> Connect(Uri baseUrl, string path, string? token, string? handshake, CancellationToken cancellationToken)
    {
        var hub = new RawHub();
        var ws = baseUrl.Scheme == "https" ? "wss" : "ws";
        var url = new Uri($"{ws}://{baseUrl.Authority}{path}" + (token is null ? "" : "?access_token=" + Uri.EscapeDataString(token)));
        using var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        connect.CancelAfter(TimeSpan.FromSeconds(30));
        await hub._ws.ConnectAsync(url, connect.Token);
        await hub.SendText((handshake ?? "{\"protocol\":\"json\",\"version\":1}") + Separator, connect.Token);
        var first = await hub.ReceiveMessage(connect.Token);
        if (first is null) return (hub, null);
        // The handshake answer may share a WebSocket message with the first records (e.g. a pushed event).
        var end = first.IndexOf(Separator);
        var answer = end < 0 ? first : first[..end];
        var rest = end < 0 ? "" : first[(end + 1)..];
        hub._reader = Task.Run(() => hub.Read(rest, CancellationToken.None), CancellationToken.None);
        return (hub, answer);
    }

    public async Task SendText(string text, CancellationToken cancellationToken) => await SendBytes(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, cancellationToken);

    public async Task SendBytes(byte[] bytes, WebSocketMessageType type, CancellationToken cancellationToken)
    {
        await _send.WaitAsync(cancellationToken);
        try { await _ws.SendAsync(bytes, type, endOfMessage: true, cancellationToken); }
        finally { _send.Release(); }
    }

    /// <summary>Sends an invocation frame (its <c>invocationId</c> is <paramref name="id"/>) and waits for its completion
    /// (the completion message), the connection's end, or <paramref name="limit"/>.</summary>
    public async Task<(JsonElement? Completion, string? ClosedWith)> Invoke(string id, byte[] frame, TimeSpan limit, CancellationToken cancellationToken)
    {
        var done = _pending.GetOrAdd(id, _ => new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            await SendBytes(frame, WebSocketMessageType.Text, cancellationToken);
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException)
        {
            _pending.TryRemove(id, out _);
            return (null, "send failed: " + e.Message);
        }
        var finished = await Task.WhenAny(done.Task, Closed, Task.Delay(limit, cancellationToken));
        _pending.TryRemove(id, out _);
        if (finished == done.Task) return (done.Task.Result, null);
        if (finished == Closed) return (null, Closed.Result);
        return (null, null);
    }

    private async Task<string?> ReceiveMessage(CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            WebSocketReceiveResult r;
            try { r = await _ws.ReceiveAsync(buffer, cancellationToken); }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                _closed.TrySetResult("socket: " + e.Message);
                return null;
            }
            if (r.MessageType == WebSocketMessageType.Close)
            {
                _closed.TrySetResult($"websocket close {r.CloseStatus} {r.CloseStatusDescription}");
                return null;
            }
            message.Write(buffer, 0, r.Count);
            if (r.EndOfMessage) return Encoding.UTF8.GetString(message.ToArray());
        }
    }

    private async Task Read(string partial, CancellationToken cancellationToken)
    {
        while (true)
        {
            int at;
            while ((at = partial.IndexOf(Separator)) >= 0)
            {
                var record = partial[..at];
                partial = partial[(at + 1)..];
                try
                {
                    using var doc = JsonDocument.Parse(record);
                    var root = doc.RootElement;
                    var type = root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.Number ? t.GetInt32() : 0;
                    if (type == 3 && root.TryGetProperty("invocationId", out var id) && _pending.TryGetValue(id.GetString() ?? "", out var done))
                        done.TrySetResult(root.Clone());
                    else if (type == 7)
                        _closed.TrySetResult("close message: " + (root.TryGetProperty("error", out var error) ? error.GetString() : "(no error)"));
                }
                catch (JsonException) { _closed.TrySetResult("unparsable frame from the server: " + record); }
            }
            if (await ReceiveMessage(cancellationToken) is not { } text) break;
            partial += text;
        }
        _closed.TrySetResult("ended");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            if (_ws.State == WebSocketState.Open) await _ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", cts.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException) { }
        _ws.Abort();
        if (_reader is not null) await _reader.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
        _ws.Dispose();
        _send.Dispose();
    }
}
