using System.Text.Json;
using Hotline.Abstractions;
using Hotline.Domain;

namespace Hotline.Grains;

/// <summary>
/// The router's persistence: each group commit appends the batch of commands it holds (a few hundred bytes, whatever
/// the queue length); when the journal since the last snapshot has grown as large as that snapshot (at least
/// <see cref="MinSnapshotBytes"/>), the batch is written as a new snapshot of the whole state instead. Snapshots thus
/// cost at most as many bytes as the appends they replace: bytes per routing event stay bounded by about twice the size
/// of one command, and loading replays at most one snapshot's worth of journal.
/// </summary>
/// <remarks>
/// Replay must rebuild the very state the live router had, so the engine must see the same dictionaries in the same
/// order: after writing a snapshot the live state is replaced by a copy read back from JSON, as a loading router reads it.
/// Replay uses the current <see cref="RoutingOptions"/>; changing them between runs applies to replayed commands too.
/// </remarks>
public sealed class RouterLog(IRouterJournal journal, string routerId, int minSnapshotBytes = RouterLog.MinSnapshotBytes)
{
    /// <summary>No snapshot before the journal holds this many bytes (a small router would snapshot every batch).</summary>
    public const int MinSnapshotBytes = 64 * 1024;

    private long _seq;
    // This log's (this activation's) name on every row it writes: the journal refuses to let it write over another's.
    private readonly string _writer = Guid.NewGuid().ToString("N");
    private long _journalBytes;
    private long _snapshotBytes;
    private bool _snapshotNext;
    private bool _compactRequested;

    /// <summary>Bytes written so far (journal and snapshots).</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Commands written so far.</summary>
    public long CommandsWritten { get; private set; }

    /// <summary>Snapshots written so far.</summary>
    public int Snapshots { get; private set; }

    /// <summary>A snapshot is stored (loaded, or written since): the pre-journal whole-state row is never read again.</summary>
    public bool HasSnapshot => _loadedSnapshot || Snapshots > 0;

    private bool _loadedSnapshot;

    /// <summary>The engine over the last snapshot (else <paramref name="legacy"/>) with the journal after it replayed.</summary>
    public async Task<RoutingEngine> Load(RouterState legacy, RoutingOptions options)
    {
        var data = await journal.LoadAsync<RouterState, RouterBatch>(routerId);
        var engine = new RoutingEngine(data.Snapshot ?? Compact(legacy), options);
        foreach (var (_, batch) in data.Batches)
            foreach (var command in batch.Commands)
                command.Apply(engine);
        _seq = data.Batches.Count > 0 ? data.Batches[^1].Seq : data.SnapshotSeq;
        // No snapshot yet (a new router, or one that wrote whole grain states before): the first write makes one.
        _snapshotNext = data.Snapshot is null;
        _loadedSnapshot = data.Snapshot is not null;
        return engine;
    }

    /// <summary>Makes the next <see cref="Write"/> a snapshot, whatever the journal's size (see <see cref="IRouterGrain.Compact"/>).</summary>
    public void RequestSnapshot() => _compactRequested = true;

    /// <summary>
    /// Writes the batch holding <paramref name="commands"/>, the last ones <paramref name="engine"/> ran. Call before any
    /// other command runs: the state is taken (serialised) synchronously. <paramref name="compacted"/> runs right after a
    /// snapshot was taken, to swap the live state for its read-back copy.
    /// </summary>
    public async Task Write(RoutingEngine engine, IReadOnlyList<RouterCommand> commands, Action compacted)
    {
        var seq = _seq + 1;
        var snapshot = _compactRequested || _snapshotNext || _journalBytes >= Math.Max(minSnapshotBytes, _snapshotBytes);
        _compactRequested = false;
        Task<int> write;
        if (snapshot)
        {
            write = journal.SnapshotAsync(routerId, seq, engine.State, _writer);
            compacted();
        }
        else write = journal.AppendAsync(routerId, seq, new RouterBatch(commands), _writer);
        // Until this write is known to be stored, the next one is a snapshot: it holds these commands whatever
        // became of this write (an append whose answer was lost may be stored or not).
        _snapshotNext = true;
        var bytes = await write;
        _snapshotNext = false;
        _seq = seq;
        BytesWritten += bytes;
        CommandsWritten += commands.Count;
        if (snapshot)
        {
            Snapshots++;
            _snapshotBytes = bytes;
            _journalBytes = 0;
        }
        else _journalBytes += bytes;
    }

    /// <summary>A copy of <paramref name="state"/> as a loading router reads it back (same dictionaries, same order).</summary>
    public static RouterState Compact(RouterState state) =>
        JsonSerializer.Deserialize<RouterState>(JsonSerializer.SerializeToUtf8Bytes(state)) ?? new RouterState();
}
