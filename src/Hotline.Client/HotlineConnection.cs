using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Hotline.Client;

/// <summary>
/// A SignalR session with one of the hubs that survives the loss of its server: when the connection closes it
/// reconnects by itself (trying each base URL in turn, with backoff), re-joins every consultation it had joined with
/// <c>JoinConsultation(afterSeq)</c>, and merges missed messages by seq, so each message is seen exactly once, in order.
/// Messages pushed early (while their write runs) are reconciled by (seq, clientMessageId): see <see cref="ChatTranscript"/>.
/// <see cref="SendMessage"/> keeps its clientMessageId across retries, so a message is stored once however often it is resent.
/// </summary>
public sealed class HotlineConnection : IAsyncDisposable
{
    private readonly IReadOnlyList<Uri> _baseUrls;
    private readonly string _hubPath;
    private readonly Func<string> _token;
    private readonly ConcurrentDictionary<string, ChatTranscript> _messages = new();
    private readonly ConcurrentDictionary<string, long> _joined = new();
    // The last assignment (lawyer id) and status this connection knows of, per consultation: the event logs keep only
    // their newest items, so a catch-up compares the joined state with these, not with the logs.
    private readonly ConcurrentDictionary<string, string> _lastAssigned = new();
    private readonly ConcurrentDictionary<string, string> _lastStatus = new();
    private readonly SemaphoreSlim _reconnect = new(1, 1);
    private readonly CancellationTokenSource _disposed = new();
    private HubConnection? _connection;
    private int _urlIndex;
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public HotlineConnection(IEnumerable<Uri> baseUrls, string hubPath, Func<string> token)
    {
        _baseUrls = baseUrls.ToList();
        _hubPath = hubPath;
        _token = token;
    }

    public HotlineConnection(Uri baseUrl, string hubPath, string token) : this([baseUrl], hubPath, () => token) { }

    // Every event log keeps its newest EventLog<T>.DefaultCapacity items (set Capacity to change it): a long-lived
    // connection must not hold every event it ever received. The transcripts (Transcript) keep every message unless
    // TranscriptCapacity bounds them.

    /// <summary>
    /// Messages seen, each seq once per consultation (pushed, replayed on join, or merged after a reconnect), and again
    /// only when a message withdrawn from that seq was replaced by another. The newest ones; <see cref="Transcript"/> has
    /// all (or, with <see cref="TranscriptCapacity"/>, its newest).
    /// </summary>
    public EventLog<ChatMessage> Messages { get; } = new();
    /// <summary><c>MessageWithdrawn</c> pushes: an early-delivered message whose write failed.</summary>
    public EventLog<MessageWithdrawnEvent> Withdrawals { get; } = new();
    /// <summary>
    /// <c>Message</c> pushes exactly as they arrived, duplicates included (to prove the server sends each once): the newest
    /// <see cref="EventLog{T}.Capacity"/> (1,024 by default; raise it, or set null, to check more).
    /// </summary>
    public EventLog<ChatMessage> MessagePushes { get; } = new();
    /// <summary>
    /// The events of the contract as raw JSON, in arrival order, while <see cref="RecordRawEvents"/> is on: the newest
    /// <see cref="DefaultRawEventCapacity"/> (set <c>RawEvents.Capacity</c> to keep more, or null for all). For checks of
    /// the wire shape.
    /// </summary>
    public EventLog<RawEvent> RawEvents { get; } = new();

    /// <summary>
    /// Off (default): each event is decoded once, straight into its typed shape, and <see cref="RawEvents"/> stays empty.
    /// On: each event is also read as JSON into <see cref="RawEvents"/> (a second decode per event). May be switched at any
    /// time; applies to events that arrive after.
    /// </summary>
    public bool RecordRawEvents
    {
        get => Volatile.Read(ref _recordRawEvents);
        set => Volatile.Write(ref _recordRawEvents, value);
    }
    private bool _recordRawEvents;

    /// <summary>How many raw events <see cref="RawEvents"/> keeps by default: every event log's bound.</summary>
    public const int DefaultRawEventCapacity = EventLog<RawEvent>.DefaultCapacity;
    /// <summary><c>LawyerStatus</c> pushes (the router forced the lawyer's status, e.g. away after a missed offer).</summary>
    public EventLog<Lawyer> LawyerStatuses { get; } = new();
    public EventLog<OfferEvent> Offers { get; } = new();
    public EventLog<OfferRevokedEvent> OffersRevoked { get; } = new();
    public EventLog<AssignedEvent> Assignments { get; } = new();
    public EventLog<QueueUpdateEvent> QueueUpdates { get; } = new();
    public EventLog<StatusChangedEvent> StatusChanges { get; } = new();
    public EventLog<TypingEvent> Typings { get; } = new();
    public EventLog<MetricsSnapshot> Metrics { get; } = new();
    /// <summary>Admin hub: collective-dispute alerts as they open or change.</summary>
    public EventLog<Alert> Alerts { get; } = new();
    /// <summary>Times at which the connection came back after a loss.</summary>
    public EventLog<DateTimeOffset> Reconnections { get; } = new();

    /// <summary>
    /// Client-side timeout: the connection is considered lost when nothing (not even a ping) arrived from the server for
    /// this long. Default 10 s. Set before <see cref="StartAsync"/>; applies to every (re)connection. SignalR advises at
    /// least twice the server's keep-alive interval (ASP.NET Core default 15 s): below that an idle connection is dropped
    /// and re-established (transparently, by this class) whenever the server has nothing to say for this long.
    /// </summary>
    public TimeSpan ServerTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>Interval of the client's pings to the server. Default 3 s. Set before <see cref="StartAsync"/>.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(3);
    /// <summary>The hub protocol: JSON (default) or MessagePack. Set before <see cref="StartAsync"/>.</summary>
    public HubProtocolKind Protocol { get; set; } = HubProtocolKind.Json;

    /// <summary>
    /// True (default): the server pushes this connection the <c>Message</c> event of its own sends too. False: it does not
    /// (hub query <c>echo=false</c>), and this client files each own message from its ack, with the sender taken from the
    /// token; the sender's other connections still get the event. Halves the pushes of a chat for its sender. Set before
    /// <see cref="StartAsync"/>; ignored (echo stays on) if the token does not name its subject, role and name.
    /// </summary>
    public bool EchoOwnMessages { get; set; } = true;

    // Who this connection sends as, from the token: set when EchoOwnMessages is off and the token could be read.
    private Sender? _self;

    private sealed record Sender(string Role, string Id, string Name);

    public HubConnectionState State => _connection?.State ?? HubConnectionState.Disconnected;
    public Uri? CurrentUrl { get; private set; }

    public static HotlineConnection Worker(Uri baseUrl, string token) => new(baseUrl, "/hubs/worker", token);
    public static HotlineConnection Lawyer(Uri baseUrl, string token) => new(baseUrl, "/hubs/lawyer", token);
    public static HotlineConnection Admin(Uri baseUrl, string token) => new(baseUrl, "/hubs/admin", token);

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await ConnectWithRetry(cancellationToken);
    }

    /// <summary>
    /// Messages of a consultation seen so far, ordered by seq, without duplicates (withdrawn ones removed); with a
    /// <see cref="TranscriptCapacity"/>, the newest of them.
    /// </summary>
    public IReadOnlyList<ChatMessage> Transcript(string consultationId) => Of(consultationId).Messages;

    /// <summary>Highest seq up to which every message of the consultation has been seen.</summary>
    public long ContiguousSeq(string consultationId) => Of(consultationId).Contiguous;

    /// <summary>Seqs of the consultation below the highest seen that this connection never saw (0 when gap-free).</summary>
    public long MissingSeqs(string consultationId) => Of(consultationId).Missing;

    /// <summary>
    /// Null (default): each consultation's <see cref="Transcript"/> keeps every message, as a chat window shows it. A
    /// number: it keeps about that many newest ones (up to half as many again before it trims); older messages leave once
    /// stored and gap-free, never while a join is outstanding, and <see cref="ContiguousSeq"/>, <see cref="MissingSeqs"/>
    /// and re-joins still count them. A gap that never fills (a message missed until the next re-join) holds what follows
    /// it. For long-lived clients (bots, load generators) that must not hold every message they ever saw. Applies to
    /// every consultation at once, from its next message.
    /// </summary>
    public int? TranscriptCapacity
    {
        get => _transcriptBound.Capacity;
        set => _transcriptBound.Capacity = value;
    }

    // Shared by every transcript of this connection: a new bound reaches them all at once.
    private readonly TranscriptBound _transcriptBound = new();

    private ChatTranscript Of(string consultationId) => _messages.GetOrAdd(consultationId, static (_, bound) => new ChatTranscript(bound), _transcriptBound);

    public async Task<JoinResult> JoinConsultation(string consultationId, long afterSeq = 0)
    {
        // No id is the server's to refuse (validation_failed); there is no transcript to keep for it.
        if (consultationId is null) return await Invoke<JoinResult>("JoinConsultation", [consultationId, afterSeq]);
        var result = await Marked(consultationId, () => Invoke<JoinResult>("JoinConsultation", [consultationId, afterSeq]));
        CatchUp(result.Consultation);
        return result;
    }

    /// <summary>
    /// A join (or accept) of <paramref name="consultationId"/>: its transcript is marked before the call and given the
    /// answer after it; a call that fails gives the mark up (so the transcript trims again). <paramref name="remember"/>:
    /// from the answer on, the consultation is re-joined after every reconnect.
    /// </summary>
    private async Task<JoinResult> Marked(string consultationId, Func<Task<JoinResult>> join, bool remember = true)
    {
        var transcript = Of(consultationId);
        var mark = transcript.Mark();
        JoinResult result;
        try
        {
            result = await join();
        }
        catch
        {
            transcript.JoinAbandoned();
            throw;
        }
        if (remember) _joined[consultationId] = 0;
        Joined(transcript, result, mark);
        return result;
    }

    /// <summary>
    /// Events are not replayed, state is: an assignment or status change that happened while this connection was away
    /// (or before it joined) is recorded from the consultation's current state, so waiters see it.
    /// </summary>
    private void CatchUp(Consultation view)
    {
        if (view.AssignedLawyerId is { } lawyer && !(_lastAssigned.TryGetValue(view.Id, out var known) && known == lawyer))
            OnAssigned(new AssignedEvent(view.Id, lawyer, view.AssignedLawyerName ?? ""));
        var last = _lastStatus.GetValueOrDefault(view.Id);
        if (last != view.Status && !(last is null && view.Status == "queued"))
            OnStatusChanged(new StatusChangedEvent(view.Id, view.Status));
    }

    private void OnAssigned(AssignedEvent assigned)
    {
        _lastAssigned[assigned.ConsultationId] = assigned.LawyerId;
        Assignments.Add(assigned);
    }

    private void OnStatusChanged(StatusChangedEvent changed)
    {
        _lastStatus[changed.ConsultationId] = changed.Status;
        StatusChanges.Add(changed);
    }

    public async Task<JoinResult> AcceptOffer(string consultationId)
    {
        if (consultationId is null) return await Invoke<JoinResult>("AcceptOffer", [consultationId]); // the server refuses it
        return await Marked(consultationId, () => Invoke<JoinResult>("AcceptOffer", [consultationId]));
    }

    /// <summary>
    /// Sends with a fresh (or given) clientMessageId; across a lost connection, retries with the same id until
    /// <paramref name="timeout"/> (default 60 s) has passed since the call. Without a timeout of the caller's, the first
    /// attempt on a live connection has no timer: it ends with the server's answer (bounded by its grain call's timeout)
    /// or the connection's loss. A failure with no time left for a retry is thrown as it is.
    /// </summary>
    public async Task<MessageAck> SendMessage(string consultationId, string text, string? clientMessageId = null, TimeSpan? timeout = null)
    {
        clientMessageId ??= Guid.NewGuid().ToString("N");
        object?[] args = [consultationId, clientMessageId, text];
        var started = Stopwatch.GetTimestamp();
        // Connected (the common case, paid per message by a busy client): the first attempt goes straight to the
        // connection, with no timer and no token of its own. It ends with the server's answer (the server bounds a hub call
        // by its grain call's timeout) or with the loss of the connection (ServerTimeout); a failure that may be retried
        // falls through to the loop below, same clientMessageId, for what is left of the timeout.
        ExceptionDispatchInfo? first = null;
        if (timeout is null && _connected.Task.IsCompletedSuccessfully && _connection is { } live)
        {
            try
            {
                return Sent(consultationId, text, clientMessageId, await live.InvokeCoreAsync<MessageAck>("SendMessage", args));
            }
            catch (Exception e) when (IsRetryableOrDropped(e))
            {
                first = ExceptionDispatchInfo.Capture(e);
            }
        }
        var left = Left(timeout ?? DefaultTimeout, started);
        if (left == TimeSpan.Zero) first?.Throw();
        using var cts = new CancellationTokenSource(left);
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                return Sent(consultationId, text, clientMessageId, await InvokeOnce<MessageAck>("SendMessage", args, cts.Token));
            }
            catch (Exception e) when (IsRetryableOrDropped(e) && !cts.IsCancellationRequested)
            {
                await Task.Delay(delay, cts.Token);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
            }
        }
    }

    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>What is left of <paramref name="timeout"/> since <paramref name="started"/> (infinite stays infinite).</summary>
    private static TimeSpan Left(TimeSpan timeout, long started)
    {
        if (timeout == Timeout.InfiniteTimeSpan) return timeout;
        var left = timeout - Stopwatch.GetElapsedTime(started);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>Files an acknowledged own message.</summary>
    private MessageAck Sent(string consultationId, string text, string clientMessageId, MessageAck ack)
    {
        Of(consultationId).Acked(ack.Seq);
        // Without the echo, the ack is the only news of it here: the message is stored as sent.
        if (_self is { } me) Record(new ChatMessage(consultationId, ack.Seq, me.Role, me.Id, me.Name, text, ack.SentAt, clientMessageId), stored: true);
        return ack;
    }

    /// <summary>Invokes a hub method, waiting through a reconnect if the connection is down. Hub errors are not retried.</summary>
    public async Task<T> Invoke<T>(string method, object?[] args, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        while (true)
        {
            try
            {
                return await InvokeOnce<T>(method, args, cts.Token);
            }
            catch (Exception e) when (IsRetryableOrDropped(e) && !cts.IsCancellationRequested && !IsNotIdempotent(method))
            {
                await Task.Delay(200, cts.Token);
            }
        }
    }

    public async Task Invoke(string method, params object?[] args) => await Invoke<object?>(method, args);

    private static bool IsNotIdempotent(string method) => false;

    private async Task<T> InvokeOnce<T>(string method, object?[] args, CancellationToken cancellationToken)
    {
        await _connected.Task.WaitAsync(cancellationToken);
        var connection = _connection!;
        if (Protocol == HubProtocolKind.MessagePack && typeof(T) != typeof(object) && !MessagePackJson.DecodesDirectly(typeof(T)))
        {
            // MessagePack results arrive in the contract's JSON shape: what the protocol does not read as JSON by itself
            // (e.g. an instant, written as a string) is read as JSON first.
            var raw = await connection.InvokeCoreAsync<JsonElement>(method, args, cancellationToken);
            return raw.Deserialize<T>(EventJson)!;
        }
        return await connection.InvokeCoreAsync<T>(method, args, cancellationToken);
    }

    /// <summary>Connection-level failures are retried; a <see cref="HubException"/> is the server's answer and is not.</summary>
    public static bool IsRetryable(Exception e) => e is not HubException and not OperationCanceledException
        || (e is HubException h && h.Message.Contains("unavailable:", StringComparison.Ordinal));

    /// <summary>
    /// As <see cref="IsRetryable"/>, and also an invocation cancelled because its connection closed under it (SignalR
    /// completes pending invocations with a <see cref="TaskCanceledException"/> when the connection closes cleanly).
    /// Callers check their own token before retrying.
    /// </summary>
    private static bool IsRetryableOrDropped(Exception e) => IsRetryable(e) || e is OperationCanceledException;

    private void Record(ChatMessage message, bool stored)
    {
        if (Of(message.ConsultationId).Add(message, stored)) Messages.Add(message);
    }

    /// <summary>A join's answer: its missed messages are stored ones; what was shown above its lastSeq before it was sent never was.</summary>
    private void Joined(ChatTranscript transcript, JoinResult result, long mark)
    {
        try
        {
            foreach (var m in result.Missed) Record(m, stored: true);
        }
        finally
        {
            // Even if filing (or a handler of Messages) threw: the join's mark is settled, so trimming goes on. An
            // answer without its consultation (not the contract's) corrects nothing.
            if (result.Consultation is { } joined) transcript.Joined(joined.LastSeq, mark);
            else transcript.JoinAbandoned();
        }
    }

    /// <summary>How events and results are read from their JSON shape (camelCase, case-insensitive, numbers also from strings).</summary>
    internal static readonly JsonSerializerOptions EventJson = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Diagnostics (null: off): called for each <c>Message</c> push with its clientMessageId and the
    /// <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> taken when its frame was read, before this client decoded
    /// and filed it (the load generator's stage report tells the transport's time from this client's own). Must not block.
    /// </summary>
    public Action<string, long>? MessageArrived { get; set; }

    /// <summary>
    /// Events whose payload did not decode into the client's shape (a contract mismatch): recorded, never thrown; the
    /// event is dropped and the connection carries on.
    /// </summary>
    public EventLog<Exception> DecodeErrors { get; } = new();

    /// <summary>The events of the contract this client handles (one handler each).</summary>
    internal static bool IsEvent(string method) => method is "Message" or "MessageWithdrawn" or "Offer" or "OfferRevoked" or "Assigned"
        or "QueueUpdate" or "StatusChanged" or "Typing" or "Metrics" or "LawyerStatus" or "Alert";

    // SignalR binds the payload straight to T (one decode); a payload that does not bind is recorded by EventProtocol.
    private static void On<T>(HubConnection connection, string method, Action<T> add) where T : class
    {
        Debug.Assert(IsEvent(method));
        connection.On<T>(method, value =>
        {
            if (value is not null) add(value);
        });
    }

    /// <summary>
    /// Drops the current transport as a network failure would (the session then reconnects by itself, re-joins and merges
    /// missed messages). Returns once the session is connected again.
    /// </summary>
    public async Task DropAndWaitReconnectAsync(TimeSpan? timeout = null)
    {
        var since = DateTimeOffset.UtcNow;
        if (_connection is { } c) await c.StopAsync();
        await Reconnections.WaitAsync(at => at >= since, timeout ?? TimeSpan.FromSeconds(30));
        await _connected.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(30));
    }

    private HubConnection Build(Uri baseUrl)
    {
        _self = EchoOwnMessages ? null : ReadSender(_token());
        var hub = new Uri(baseUrl, _self is null ? _hubPath : _hubPath + "?echo=false");
        var builder = new HubConnectionBuilder()
            .WithUrl(hub, o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(_token());
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
            });
        // The client logs nothing (no provider is configured): without a factory that does, SignalR still creates a logger
        // for every invocation, under the factory's lock.
        builder.Services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        // The last IHubProtocol registered is the one the connection speaks (the builder registers JSON by default).
        builder.Services.AddSingleton<IHubProtocol>(new EventProtocol(Protocol == HubProtocolKind.MessagePack ? MessagePackProtocol : JsonProtocol, this));
        var connection = builder.Build();
        connection.ServerTimeout = ServerTimeout;
        connection.KeepAliveInterval = KeepAliveInterval;
        // One handler per event, decoding the raw JSON here: SignalR binds each method's arguments to a single type, so a
        // second typed or raw handler for the same event would not see it.
        On<ChatMessage>(connection, "Message", m => { MessagePushes.Add(m); Record(m, stored: false); });
        On<MessageWithdrawnEvent>(connection, "MessageWithdrawn", w => { Of(w.ConsultationId).Withdraw(w.Seq, w.ClientMessageId); Withdrawals.Add(w); });
        On<OfferEvent>(connection, "Offer", Offers.Add);
        On<OfferRevokedEvent>(connection, "OfferRevoked", OffersRevoked.Add);
        On<AssignedEvent>(connection, "Assigned", OnAssigned);
        On<QueueUpdateEvent>(connection, "QueueUpdate", QueueUpdates.Add);
        On<StatusChangedEvent>(connection, "StatusChanged", OnStatusChanged);
        On<TypingEvent>(connection, "Typing", Typings.Add);
        On<MetricsSnapshot>(connection, "Metrics", Metrics.Add);
        On<Lawyer>(connection, "LawyerStatus", LawyerStatuses.Add);
        On<Alert>(connection, "Alert", Alerts.Add);
        connection.Closed += OnClosed;
        return connection;
    }

    // The protocols keep no state per connection: one of each for every connection.
    private static readonly IHubProtocol JsonProtocol = new JsonHubProtocol(Options.Create(JsonProtocolOptions()));
    private static readonly IHubProtocol MessagePackProtocol = new MessagePackHubProtocol(Options.Create(new MessagePackHubProtocolOptions { SerializerOptions = MessagePackJson.Options }));

    private static JsonHubProtocolOptions JsonProtocolOptions()
    {
        var options = new JsonHubProtocolOptions();
        var payload = options.PayloadSerializerOptions;
        payload.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        payload.Converters.Add(new JsonStringEnumConverter());
        // Events are decoded by the protocol itself: read them as EventJson reads (case-insensitive, numbers from strings).
        payload.PropertyNameCaseInsensitive = EventJson.PropertyNameCaseInsensitive;
        payload.NumberHandling = EventJson.NumberHandling;
        return options;
    }

    /// <summary>The sender a JWT names (claims <c>sub</c>, <c>role</c>, <c>name</c>), or null if it cannot be read.</summary>
    private static Sender? ReadSender(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3) return null;
        try
        {
            using var claims = JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1]));
            var root = claims.RootElement;
            return root.TryGetProperty("sub", out var sub) && sub.ValueKind == JsonValueKind.String
                && root.TryGetProperty("role", out var role) && role.ValueKind == JsonValueKind.String
                ? new Sender(role.GetString()!, sub.GetString()!, root.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String ? name.GetString()! : "")
                : null;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }

    private Task OnClosed(Exception? error)
    {
        if (_disposed.IsCancellationRequested) return Task.CompletedTask;
        if (_connected.Task.IsCompleted) _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = Task.Run(async () =>
        {
            try
            {
                await ConnectWithRetry(_disposed.Token);
                Reconnections.Add(DateTimeOffset.UtcNow);
            }
            catch (OperationCanceledException) { }
        });
        return Task.CompletedTask;
    }

    private async Task ConnectWithRetry(CancellationToken cancellationToken)
    {
        await _reconnect.WaitAsync(cancellationToken);
        try
        {
            var delay = TimeSpan.FromMilliseconds(100);
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var url = _baseUrls[_urlIndex % _baseUrls.Count];
                var connection = Build(url);
                try
                {
                    await connection.StartAsync(cancellationToken);
                    var old = _connection;
                    _connection = connection;
                    CurrentUrl = url;
                    if (old is not null) { old.Closed -= OnClosed; _ = old.DisposeAsync(); }
                    // Re-join before releasing senders, so no event between the drop and now is missed.
                    foreach (var id in _joined.Keys)
                    {
                        var result = await Marked(id, () => connection.InvokeCoreAsync<JoinResult>("JoinConsultation", [id, Of(id).RejoinSeq], cancellationToken), remember: false);
                        CatchUp(result.Consultation);
                    }
                    _connected.TrySetResult();
                    return;
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    connection.Closed -= OnClosed;
                    await connection.DisposeAsync();
                    // A hub error while re-joining is final, except "unavailable" (the grain's silo is failing over).
                    if (e is HubException && !IsRetryable(e)) throw;
                    _urlIndex++;
                    await Task.Delay(delay, cancellationToken);
                    delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
                }
            }
        }
        finally
        {
            _reconnect.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _disposed.Cancel();
        if (_connection is { } c)
        {
            c.Closed -= OnClosed;
            await c.DisposeAsync();
        }
    }
}
