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
    /// Appends batch <paramref name="seq"/> for <paramref name="writer"/> (one router activation); returns the bytes
    /// written. Another activation's work at that seq (the seq taken by another payload or writer, or a snapshot at that
    /// seq or later) means this writer's view is stale: throws <see cref="RouterJournalConflictException"/> and stores
    /// nothing. The same batch of the same writer again is a retried write and succeeds.
    /// </summary>
    Task<int> AppendAsync<TBatch>(string routerId, long seq, TBatch batch, string writer, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores the state as of batch <paramref name="seq"/>, drops the batches it covers; returns the bytes written.
    /// Another writer's snapshot at that seq or later, or another writer's batch at that seq or later, means this
    /// writer's state is stale: throws <see cref="RouterJournalConflictException"/> and changes nothing.
    /// </summary>
    Task<int> SnapshotAsync<TState>(string routerId, long seq, TState state, string writer, CancellationToken cancellationToken = default);
}

/// <summary>What <see cref="IRouterJournal.LoadAsync{TState, TBatch}"/> found.</summary>
public sealed record RouterJournalData<TState, TBatch>(TState? Snapshot, long SnapshotSeq, IReadOnlyList<(long Seq, TBatch Batch)> Batches);

/// <summary>
/// Another writer (router activation) wrote at this batch number or past it: this activation's view is stale. The router
/// fails its callers with it while it makes way; the API answers <c>unavailable</c> (try again: the next activation loads
/// the other's writes). Carried between silos as this type.
/// </summary>
[GenerateSerializer, Alias("Hotline.RouterJournalConflictException")]
public sealed class RouterJournalConflictException : Exception
{
    /// <summary>Creates the exception for batch <paramref name="seq"/> of router <paramref name="routerId"/>.</summary>
    public RouterJournalConflictException(string routerId, long seq)
        : base($"Router journal '{routerId}' has another activation's writes at batch {seq} or later.")
    {
        RouterId = routerId;
        Seq = seq;
    }

    /// <summary>The router whose journal refused the write.</summary>
    [Id(0)] public string RouterId { get; }

    /// <summary>The batch number this activation tried to write.</summary>
    [Id(1)] public long Seq { get; }
}
