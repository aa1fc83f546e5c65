using System.Text.Json;
using Hotline.Grains;
using Microsoft.AspNetCore.SignalR;

var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSignalR(o => o.MaximumReceiveMessageSize = 64 * 1024)
    .AddJsonProtocol(o => o.PayloadSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase);
// RELAY_STORE=<path>: the durable relay, the storage floor (see DurableLog).
if (Environment.GetEnvironmentVariable("RELAY_STORE") is { Length: > 0 } store) builder.Services.AddSingleton(_ => new DurableLog(store)); // built and disposed by the container
// RELAY_STAGES=<path>: when each message passed each stage, for the load generator's stage report (MessageStageLog).
if (Environment.GetEnvironmentVariable("RELAY_STAGES") is { Length: > 0 } stages) MessageStageLog.Start(stages);
var app = builder.Build();
app.UseWebSockets();
app.MapGet("/health/ready", () => Results.Ok("ready"));
app.MapGet("/api/ping", () => Results.Ok(new { at = DateTimeOffset.UtcNow }));
// Collections, allocated bytes and the total GC pause, named as in the silo's admin runtime figures (the load generator
// compares each server's GC in a measured window).
app.MapGet("/api/runtime", () => Results.Ok(new
{
    gen0 = GC.CollectionCount(0), gen1 = GC.CollectionCount(1), gen2 = GC.CollectionCount(2),
    totalAllocatedBytes = GC.GetTotalAllocatedBytes(), gcPauseTotalMs = GC.GetTotalPauseDuration().TotalMilliseconds,
    jitCompiledMethods = System.Runtime.JitInfo.GetCompiledMethodCount(), jitTimeMs = System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds,
}));
app.MapHub<RelayHub>("/hubs/relay");
app.Run();

/// <summary>
/// The bare relay (and, with <c>RELAY_STORE</c>, the durable relay): a connection registers under a name (a group), and <see cref="Send"/> forwards a message shaped like the
/// platform's <c>Message</c> event to everyone registered under the receiver name, then acknowledges with a seq, as
/// <c>SendMessage</c> does on the platform (without storage, auth or grains).
/// </summary>
public sealed class RelayHub(IServiceProvider services) : Hub
{
    private readonly DurableLog? _log = services.GetService<DurableLog>();

    private static long _seq;

    /// <summary>Registers this connection under <paramref name="name"/>.</summary>
    public Task Register(string name) => Groups.AddToGroupAsync(Context.ConnectionId, name);

    /// <summary>Forwards to the receiver, then acknowledges; with a <see cref="DurableLog"/>, only once the message is durable.</summary>
    public Task<RelayAck> Send(string to, string clientMessageId, string text)
    {
        MessageStageLog.Mark(MessageStageLog.Hub, clientMessageId);
        return MessageStageLog.Completed(Forward(to, clientMessageId, text), MessageStageLog.Ack, clientMessageId);
    }

    private async Task<RelayAck> Forward(string to, string clientMessageId, string text)
    {
        var seq = Interlocked.Increment(ref _seq);
        var now = DateTimeOffset.UtcNow;
        var message = new RelayMessage(to, seq, "relay", Context.ConnectionId, "", text, now, clientMessageId);
        if (_log is not null)
        {
            await _log.Append(message);
            MessageStageLog.Mark(MessageStageLog.Stored, clientMessageId);
        }
        await MessageStageLog.Pushed(() => Clients.Group(to).SendAsync("Message", message), clientMessageId);
        return new RelayAck(seq, now, false);
    }
}

/// <summary>Same shape as the platform's <c>Message</c>.</summary>
public sealed record RelayMessage(string ConsultationId, long Seq, string SenderRole, string SenderId, string SenderName, string Text, DateTimeOffset SentAt, string ClientMessageId);

/// <summary>Same shape as the platform's <c>MessageAck</c>.</summary>
public sealed record RelayAck(long Seq, DateTimeOffset SentAt, bool Duplicate);
