namespace Hotline.Abstractions;

/// <summary>
/// Durable log of the router: a snapshot of its state plus the batches of commands applied since, so that a routing
/// event costs one small append whatever the length of the queue. <c>seq</c> numbers the batches; a snapshot at
/// <c>seq</c> replaces every batch up to it. Values are serialised by the store (the grain storage's JSON) at the
/// moment of the call, before it returns, so the caller may change them right after.
/// </summary>
public interface IRouterJournal
{
    /// <summary>The latest snapshot (default if none, with seq 0) and every batch after it, in seq order.</summary>
    Task<RouterJournalData<TState, TBatch>> LoadAsync<TState, TBatch>(string routerId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends batch <paramref name="seq"/>; returns the bytes written. A seq already taken by another payload means
    /// another activation wrote meanwhile: throws <see cref="RouterJournalConflictException"/> and stores nothing.
    /// </summary>
    Task<int> AppendAsync<TBatch>(string routerId, long seq, TBatch batch, CancellationToken cancellationToken = default);

    /// <summary>Stores the state as of batch <paramref name="seq"/>, drops the batches it covers; returns the bytes written.</summary>
    Task<int> SnapshotAsync<TState>(string routerId, long seq, TState state, CancellationToken cancellationToken = default);
}

/// <summary>What <see cref="IRouterJournal.LoadAsync{TState, TBatch}"/> found.</summary>
public sealed record RouterJournalData<TState, TBatch>(TState? Snapshot, long SnapshotSeq, IReadOnlyList<(long Seq, TBatch Batch)> Batches);

/// <summary>Another writer appended the same batch number: this activation's view is stale.</summary>
public sealed class RouterJournalConflictException(string routerId, long seq)
    : Exception($"Router journal '{routerId}' already has batch {seq}: another activation wrote it.");
