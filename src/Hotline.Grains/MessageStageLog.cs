using System.Diagnostics;
using System.Threading.Channels;

namespace Hotline.Grains;

/// <summary>
/// Opt-in diagnostic of the chat message path (<c>Hotline:Diagnostics:MessageStagesFile</c>; the bare relay's
/// <c>RELAY_STAGES</c>): the instant each message passed each stage of this process, one line per stage,
/// <c>"{timestamp} {stage} {clientMessageId}"</c>. The timestamp is <see cref="Stopwatch.GetTimestamp"/>, which on Linux
/// is CLOCK_MONOTONIC in nanoseconds and so comparable across the processes of one machine: the load generator joins
/// these lines with its own send and receipt times (its latency report's stage section). Off (the default) costs one
/// static read per stage. The id is the client's random message id: no personal data.
/// Shared as source with tools/Hotline.Relay, which has no reference to the grains.
/// </summary>
public sealed class MessageStageLog
{
    /// <summary>The hub filter entered (before the rate limits and the token check).</summary>
    public const string Filter = "filter";
    /// <summary>Hub method entered (after the hub filter).</summary>
    public const string Hub = "hub";
    /// <summary>The consultation grain's turn started.</summary>
    public const string Grain = "grain";
    /// <summary>The recipient's push handed to SignalR (after every earlier push of the consultation completed).</summary>
    public const string Push = "push";
    /// <summary>The recipient's push written (serialised into the connection's pipe).</summary>
    public const string Written = "written";
    /// <summary>The durable append returned.</summary>
    public const string Stored = "stored";
    /// <summary>The hub method's answer (the ack) completed.</summary>
    public const string Ack = "ack";

    private readonly Channel<(long At, string Stage, string Id)> _lines = Channel.CreateUnbounded<(long, string, string)>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>The log in use, or null (off).</summary>
    public static MessageStageLog? Current { get; private set; }

    private MessageStageLog(string path)
    {
        var writer = new StreamWriter(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read));
        _ = Task.Run(() => WriteLoop(writer));
    }

    /// <summary>Turns the log on, writing to <paramref name="path"/> (created anew). Once per process.</summary>
    public static void Start(string path) => Current ??= new MessageStageLog(path);

    /// <summary>Records that the message <paramref name="id"/> is at <paramref name="stage"/> now (nothing when off).</summary>
    public static void Mark(string stage, string? id)
    {
        if (Current is { } log && Loggable(id)) log._lines.Writer.TryWrite((Stopwatch.GetTimestamp(), stage, id!));
    }

    /// <summary>Marks <paramref name="stage"/> when <paramref name="task"/> completes, on the thread that completes it.</summary>
    public static T Completed<T>(T task, string stage, string? id) where T : Task
    {
        if (Current is null || !Loggable(id)) return task;
        if (task.IsCompleted) Mark(stage, id);
        else task.ContinueWith(static (_, state) => { var (s, i) = ((string, string))state!; Mark(s, i); }, (stage, id!),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }

    /// <summary>Marks <see cref="Push"/>, sends, and marks <see cref="Written"/> when the send completed.</summary>
    public static Task Pushed(Func<Task> send, string? id)
    {
        if (Current is null || id is null) return send();
        Mark(Push, id);
        return Completed(send(), Written, id);
    }

    // One token per line: an id the server will refuse (null, spaces) is not a message to follow.
    private static bool Loggable(string? id) => id is { Length: > 0 and <= 128 } && !id.Any(char.IsWhiteSpace);

    private async Task WriteLoop(StreamWriter writer)
    {
        await using var _ = writer;
        var reader = _lines.Reader;
        while (await reader.WaitToReadAsync())
        {
            while (reader.TryRead(out var line)) await writer.WriteLineAsync($"{line.At} {line.Stage} {line.Id}");
            await writer.FlushAsync();
            // Written in batches: the file is read after a run, not line by line.
            await Task.Delay(200);
        }
    }
}
