using System.Collections.Concurrent;
using System.Text.Json;
using Hotline.Client;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Hotline.LoadGen;

/// <summary>The platform as the load generator sees it: REST (through <see cref="HotlineRest"/>) and hub sessions (<see cref="HotlineConnection"/>).</summary>
internal sealed class Platform : IDisposable
{
    private readonly HttpClient _http;

    /// <summary>Hub protocol of the connections this platform helper opens.</summary>
    public HubProtocolKind Protocol { get; init; }

    public Platform(Uri url)
    {
        if (!url.IsLoopback) throw new ArgumentException($"refusing to load {url}: only loopback targets are allowed");
        Url = url;
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
        Rest = new HotlineRest(_http);
    }

    public Uri Url { get; }
    public HotlineRest Rest { get; }
    public string AdminToken { get; private set; } = "";
    public string RunId { get; } = DateTime.UtcNow.ToString("HHmmss") + Random.Shared.Next(1000, 9999);

    public async Task LoginAdmin(string user, string password) => AdminToken = (await Rest.Login(user, password)).Token;

    /// <summary>Runs <paramref name="body"/> for each item with bounded parallelism.</summary>
    public static Task ForEach<T>(IEnumerable<T> items, int parallelism, Func<T, Task> body)
        => Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (x, _) => await body(x));

    public async Task<List<string>> CreateWorkerTokens(int n, int parallelism, Counters counters)
    {
        var tokens = new string[n];
        await ForEach(Enumerable.Range(0, n), parallelism, async i =>
        {
            tokens[i] = (await Rest.CreateWorker($"loadgen worker {i}")).Token;
            counters.Add("workers created");
        });
        return [.. tokens];
    }

    /// <summary>
    /// Makes a measured connection keep little of what it receives: each consultation's transcript its newest 256
    /// messages, the message event logs their newest 16. Delivery is checked by the <see cref="MessageTracker"/> (through
    /// <c>Messages.Added</c>); the transcripts only count seq gaps, which the client counts for dropped messages too. A
    /// closed loop files hundreds of thousands of messages per connection: kept in 1,024-item logs and whole transcripts,
    /// each one lived long enough to be promoted and later collected by this process's background GC, CPU on the two
    /// shared cores that the bare relay's clients, which keep nothing, did not spend (docs/perf-message-path.md, "Tenth
    /// session").
    /// </summary>
    public static HotlineConnection KeepLittle(HotlineConnection connection)
    {
        connection.TranscriptCapacity = 256;
        connection.Messages.Capacity = 16;
        connection.MessagePushes.Capacity = 16;
        return connection;
    }

    /// <summary>Creates lawyers through the admin API, logs them in, connects them and sets them available.</summary>
    public async Task<List<SimLawyer>> CreateLawyers(int n, IReadOnlyList<string> skills, IReadOnlyList<string> dialects, int capacity, int parallelism, Counters counters,
        Func<int, IReadOnlyList<string>>? skillsOf = null, Func<int, IReadOnlyList<string>>? dialectsOf = null)
    {
        var lawyers = new SimLawyer[n];
        await ForEach(Enumerable.Range(0, n), parallelism, async i =>
        {
            var username = $"lg{RunId}-{i}";
            const string password = "loadgen-12351";
            await Rest.CreateLawyer(AdminToken, username, password, $"LoadGen lawyer {i}", skillsOf?.Invoke(i) ?? skills, dialectsOf?.Invoke(i) ?? dialects, capacity);
            var login = await Rest.Login(username, password);
            var connection = HotlineConnection.Lawyer(Url, login.Token);
            connection.Protocol = Protocol;
            KeepLittle(connection);
            await connection.StartAsync();
            await connection.Invoke<JsonElement>("SetAvailability", ["available"]);
            lawyers[i] = new SimLawyer(i, login.UserId, connection);
            counters.Add("lawyers online");
        });
        return [.. lawyers];
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>A simulated lawyer: one hub session; what it does on an offer is up to the scenario.</summary>
internal sealed class SimLawyer(int index, string id, HotlineConnection connection)
{
    public int Index { get; } = index;
    public string Id { get; } = id;
    public HotlineConnection Connection { get; } = connection;

    public Task<JoinResult> Accept(string consultationId) => Connection.AcceptOffer(consultationId);
    public Task Close(string consultationId) => Connection.Invoke<JsonElement>("CloseConsultation", [consultationId, "answered", null]);
}

/// <summary>
/// Tracks every message from send to delivery at its intended receiver: latency, and the invariants (each acknowledged
/// message delivered exactly once; seqs without gaps are checked by the scenario on the transcripts).
/// </summary>
internal sealed class MessageTracker
{
    private sealed class Entry(string receiver, long sentAt, Latency latency)
    {
        public readonly string Receiver = receiver;
        public readonly long SentAt = sentAt;
        public readonly Latency Latency = latency;
        public int Delivered;
        public volatile bool Acked;
        // The first delivery, when it was recorded (in a measured window): what the stage report joins.
        public long ReceivedAt;
        // When the receiving client's handler got it, before decoding (HotlineConnection.MessageArrived), if followed.
        public long ArrivedAt;
    }

    private readonly ConcurrentDictionary<string, Entry> _entries = new();
    private readonly Counters _counters;

    public MessageTracker(Counters counters) => _counters = counters;

    public bool Recording { get; set; } = true;
    public long Duplicates;

    /// <summary>Call just before sending; the latency counts from here.</summary>
    public string Expect(string receiver, Latency latency)
    {
        var id = Guid.NewGuid().ToString("N");
        _entries[id] = new Entry(receiver, Clock.Now, latency);
        return id;
    }

    public void Acked(string clientMessageId)
    {
        if (_entries.TryGetValue(clientMessageId, out var e)) e.Acked = true;
        _counters.Add("messages acked");
    }

    /// <summary>The send failed with an answer from the server (e.g. the consultation closed meanwhile): nothing is owed.</summary>
    public void Failed(string clientMessageId) => _entries.TryRemove(clientMessageId, out _);

    /// <summary>Call from the receiver's event handler, first thing.</summary>
    public void Received(string receiver, string clientMessageId)
    {
        var now = Clock.Now;
        if (!_entries.TryGetValue(clientMessageId, out var e)) return; // the sender's own echo of an untracked message
        if (e.Receiver != receiver) return; // the echo to the sender, or another participant
        if (Interlocked.Increment(ref e.Delivered) > 1) { Interlocked.Increment(ref Duplicates); _counters.Add("duplicates"); return; }
        if (Recording)
        {
            e.Latency.Record(e.SentAt, now);
            e.ReceivedAt = now;
        }
        _counters.Add("messages delivered");
    }

    /// <summary>
    /// The receiving client's handler got the message, before decoding it (the first time counts). Hook only the
    /// intended receivers' connections: the sender's echo arrives on another connection.
    /// </summary>
    public void Arrived(string clientMessageId, long at)
    {
        if (_entries.TryGetValue(clientMessageId, out var e)) Interlocked.CompareExchange(ref e.ArrivedAt, at, 0);
    }

    /// <summary>The messages whose delivery was recorded: id, receiver, and the send, arrival (0: not followed) and receipt instants (<see cref="Clock"/>).</summary>
    public IEnumerable<(string Id, string Receiver, long SentAt, long ArrivedAt, long ReceivedAt)> Recorded
        => _entries.Where(kv => kv.Value.ReceivedAt != 0).Select(kv => (kv.Key, kv.Value.Receiver, kv.Value.SentAt, kv.Value.ArrivedAt, kv.Value.ReceivedAt));

    public long Outstanding => _entries.Values.Count(e => e.Acked && e.Delivered == 0);

    /// <summary>Waits until every acknowledged message has been delivered, or the grace period ends; returns the number lost.</summary>
    public async Task<long> Drain(TimeSpan grace)
    {
        var until = Clock.Now + (long)(grace.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        while (Outstanding > 0 && Clock.Now < until) await Task.Delay(100);
        return Outstanding;
    }
}

/// <summary>A client of the bare relay, built like <see cref="HotlineConnection"/> builds its hub connection (WebSockets, JSON camelCase, same keep-alive).</summary>
internal sealed class RelayClient : IAsyncDisposable
{
    private readonly HubConnection _connection;

    public RelayClient(Uri baseUrl, string name, Action<string, string> onMessage, TimeSpan? serverTimeout = null)
    {
        Name = name;
        _connection = new HubConnectionBuilder()
            .WithUrl(new Uri(baseUrl, "/hubs/relay"), o =>
            {
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
            })
            .AddJsonProtocol(o => o.PayloadSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase)
            .Build();
        _connection.ServerTimeout = serverTimeout ?? TimeSpan.FromSeconds(10);
        _connection.KeepAliveInterval = TimeSpan.FromSeconds(3);
        _connection.Closed += _ => { Interlocked.Increment(ref _closed); return Task.CompletedTask; };
        _connection.On<ChatMessage>("Message", m => onMessage(Name, m.ClientMessageId));
    }

    private int _closed;

    public string Name { get; }
    public HubConnectionState State => _connection.State;
    /// <summary>Times the connection closed under us (it does not reconnect).</summary>
    public int Closed => Volatile.Read(ref _closed);

    public async Task Start()
    {
        await _connection.StartAsync();
        await _connection.InvokeAsync("Register", Name);
    }

    public Task<MessageAck> Send(string to, string clientMessageId, string text) => _connection.InvokeAsync<MessageAck>("Send", to, clientMessageId, text);

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
