using System.Diagnostics.Metrics;

namespace Hotline.Storage;

/// <summary>
/// The storage layer's meter (<c>Hotline.Storage</c>): where the time of a durable SQLite write goes (waiting for the
/// writer, the batch, the COMMIT with its fsync, background WAL checkpoints). Read with
/// <c>dotnet-counters monitor -p &lt;pid&gt; --counters Hotline.Storage</c> or the silo's Prometheus endpoint.
/// </summary>
public static class StorageMeter
{
    /// <summary>The meter's name.</summary>
    public const string Name = "Hotline.Storage";

    private static readonly Meter Meter = new(Name, "1.0");

    /// <summary>From an op's enqueue to the start of the batch that runs it.</summary>
    internal static readonly Histogram<double> QueueWait = Meter.CreateHistogram<double>("hotline.storage.sqlite.queue_wait", "ms", "Time a write waited for the group-commit writer");

    /// <summary>One batch: BEGIN, every op, COMMIT.</summary>
    internal static readonly Histogram<double> Batch = Meter.CreateHistogram<double>("hotline.storage.sqlite.batch", "ms", "Duration of one group-commit batch (BEGIN..COMMIT)");

    /// <summary>The COMMIT statement alone (the WAL fsync; before background checkpoints, also any auto-checkpoint).</summary>
    internal static readonly Histogram<double> Commit = Meter.CreateHistogram<double>("hotline.storage.sqlite.commit", "ms", "Duration of the COMMIT statement of a batch");

    /// <summary>Ops per batch.</summary>
    internal static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>("hotline.storage.sqlite.batch_size", "{op}", "Writes per group-commit batch");

    /// <summary>One background WAL checkpoint (PASSIVE), off the writer's path.</summary>
    internal static readonly Histogram<double> Checkpoint = Meter.CreateHistogram<double>("hotline.storage.sqlite.checkpoint", "ms", "Duration of one background WAL checkpoint");
}
