using System.Collections.Concurrent;
using Hotline.Abstractions;

namespace Hotline.Testing;

/// <summary>What a <see cref="FailingMessageStore"/> does to the next append of a consultation.</summary>
public enum AppendFault
{
    /// <summary>Throws before the real store sees the message: nothing is stored.</summary>
    FailBefore,
    /// <summary>Stores the message, then throws (a commit whose answer was lost).</summary>
    FailAfterCommit,
    /// <summary>
    /// As <see cref="FailAfterCommit"/>, and the look-up by clientMessageId that follows fails too (the store went away
    /// right after the commit): the writer cannot tell at once that the message is stored.
    /// </summary>
    FailAfterCommitAndLookup,
}

/// <summary>
/// Faults armed by a test for the <see cref="FailingMessageStore"/> of a host: per consultation, so tests sharing a host
/// are not affected. Also holds appends at a gate, so a test can see what happens while a write is still running.
/// </summary>
public sealed class StoreFaults
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<AppendFault>> _faults = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _held = new();
    private readonly ConcurrentDictionary<string, int> _failingLookups = new();
    private readonly ConcurrentDictionary<string, int> _failingErases = new();
    private int _scrubs, _failingScrubs;

    /// <summary>Scrubs asked of the store so far (erases end with one).</summary>
    public int Scrubs => Volatile.Read(ref _scrubs);

    /// <summary>The next scrub throws.</summary>
    public void FailNextScrub() => Interlocked.Increment(ref _failingScrubs);

    private readonly ConcurrentDictionary<string, int> _failingAudits = new();

    /// <summary>The next audit entry of <paramref name="consultationId"/> with <paramref name="action"/> fails before it is
    /// stored (<see cref="FailingAuditStore"/>).</summary>
    public void FailNextAudit(string action, string consultationId) => _failingAudits.AddOrUpdate(action + "|" + consultationId, 1, (_, n) => n + 1);

    internal bool TakeAuditFault(string action, string? consultationId)
    {
        var key = action + "|" + consultationId;
        while (_failingAudits.TryGetValue(key, out var left) && left > 0)
            if (_failingAudits.TryUpdate(key, left - 1, left)) return true;
        return false;
    }

    /// <summary>The next erase of <paramref name="consultationId"/>'s texts throws before it reaches the store.</summary>
    public void FailNextErase(string consultationId) => _failingErases.AddOrUpdate(consultationId, 1, (_, n) => n + 1);

    internal void CountScrub() => Interlocked.Increment(ref _scrubs);

    internal bool TakeScrubFault() => Take(ref _failingScrubs);

    internal bool TakeEraseFault(string consultationId)
    {
        while (_failingErases.TryGetValue(consultationId, out var left) && left > 0)
            if (_failingErases.TryUpdate(consultationId, left - 1, left)) return true;
        return false;
    }

    private static bool Take(ref int failing)
    {
        while (true)
        {
            var left = Volatile.Read(ref failing);
            if (left == 0) return false;
            if (Interlocked.CompareExchange(ref failing, left - 1, left) == left) return true;
        }
    }

    /// <summary>The next append of <paramref name="consultationId"/> fails as <paramref name="fault"/> says (queued: one per call).</summary>
    public void FailNextAppend(string consultationId, AppendFault fault = AppendFault.FailBefore) =>
        _faults.GetOrAdd(consultationId, _ => new()).Enqueue(fault);

    /// <summary>
    /// The next append of <paramref name="consultationId"/> waits, before reaching the store, until the returned release
    /// is called; <see cref="Held"/> completes when it started waiting.
    /// </summary>
    public Action HoldNextAppend(string consultationId)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _gates[consultationId] = gate;
        _held[consultationId] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return () => gate.TrySetResult();
    }

    /// <summary>
    /// The next erase of <paramref name="consultationId"/>'s texts waits, before reaching the store, until the returned
    /// release is called; <see cref="ErasesHeld"/> completes when it started waiting.
    /// </summary>
    public Action HoldNextErase(string consultationId) => HoldNextAppend(EraseGate(consultationId));

    /// <summary>Completes when an erase of <paramref name="consultationId"/> is waiting at its gate.</summary>
    public Task ErasesHeld(string consultationId) => Held(EraseGate(consultationId));

    // Erase gates share the append gates' tables under a key no consultation id has.
    internal static string EraseGate(string consultationId) => "erase|" + consultationId;

    /// <summary>Completes when an append of <paramref name="consultationId"/> is waiting at its gate.</summary>
    public Task Held(string consultationId) => _held.TryGetValue(consultationId, out var held) ? held.Task : throw new InvalidOperationException("no append held");

    internal AppendFault? TakeFault(string consultationId) =>
        _faults.TryGetValue(consultationId, out var queue) && queue.TryDequeue(out var fault) ? fault : null;

    internal void FailNextLookup(string consultationId) => _failingLookups.AddOrUpdate(consultationId, 1, (_, n) => n + 1);

    internal bool TakeLookupFault(string consultationId)
    {
        while (_failingLookups.TryGetValue(consultationId, out var n) && n > 0)
            if (_failingLookups.TryUpdate(consultationId, n - 1, n)) return true;
        return false;
    }

    internal async Task PassGate(string consultationId)
    {
        if (!_gates.TryRemove(consultationId, out var gate)) return;
        if (_held.TryGetValue(consultationId, out var held)) held.TrySetResult();
        await gate.Task;
    }
}

/// <summary>The exception a <see cref="FailingMessageStore"/> throws (a plain failure: neither retried nor "unavailable").</summary>
public sealed class InjectedStoreFailure(string message) : Exception(message);

/// <summary>
/// Decorates the real message store: every call goes through, except the appends a test armed in
/// <see cref="StoreFaults"/>, which fail before or after the real write, or wait at a gate.
/// </summary>
public sealed class FailingMessageStore(IMessageStore inner, StoreFaults faults) : IMessageStore
{
    /// <inheritdoc />
    public async Task<AppendOutcome> AppendAsync(StoredMessage message, CancellationToken cancellationToken = default)
    {
        await faults.PassGate(message.ConsultationId);
        var fault = faults.TakeFault(message.ConsultationId);
        if (fault == AppendFault.FailBefore) throw new InjectedStoreFailure($"injected: append of seq {message.Seq} failed before the write");
        var outcome = await inner.AppendAsync(message, cancellationToken);
        if (fault == AppendFault.FailAfterCommitAndLookup) faults.FailNextLookup(message.ConsultationId);
        if (fault is AppendFault.FailAfterCommit or AppendFault.FailAfterCommitAndLookup) throw new InjectedStoreFailure($"injected: append of seq {message.Seq} failed after the write");
        return outcome;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredMessage>> ReadAsync(string consultationId, long afterSeq, int limit, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(consultationId, afterSeq, limit, cancellationToken);

    /// <inheritdoc />
    public Task<long> GetLastSeqAsync(string consultationId, CancellationToken cancellationToken = default) =>
        inner.GetLastSeqAsync(consultationId, cancellationToken);

    /// <inheritdoc />
    public Task<StoredMessage?> FindByClientMessageIdAsync(string consultationId, string senderId, string clientMessageId, CancellationToken cancellationToken = default) =>
        faults.TakeLookupFault(consultationId)
            ? throw new InjectedStoreFailure("injected: look-up by clientMessageId failed")
            : inner.FindByClientMessageIdAsync(consultationId, senderId, clientMessageId, cancellationToken);

    /// <inheritdoc />
    public async Task EraseTextsAsync(string consultationId, CancellationToken cancellationToken = default)
    {
        await faults.PassGate(StoreFaults.EraseGate(consultationId));
        if (faults.TakeEraseFault(consultationId)) throw new InjectedStoreFailure("injected: the erase failed");
        await inner.EraseTextsAsync(consultationId, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> ScrubErasedAsync(CancellationToken cancellationToken = default)
    {
        faults.CountScrub();
        return faults.TakeScrubFault() ? throw new InjectedStoreFailure("injected: the scrub failed") : inner.ScrubErasedAsync(cancellationToken);
    }
}

/// <summary>Decorates the real audit store: every call goes through, except the entries a test armed in
/// <see cref="StoreFaults.FailNextAudit"/>, which fail before they are stored.</summary>
public sealed class FailingAuditStore(IAuditStore inner, StoreFaults faults) : IAuditStore
{
    /// <inheritdoc />
    public Task AppendAsync(string day, AuditEntry entry, CancellationToken cancellationToken = default) =>
        faults.TakeAuditFault(entry.Action, entry.ConsultationId)
            ? throw new InjectedStoreFailure($"injected: the {entry.Action} audit entry failed before the write")
            : inner.AppendAsync(day, entry, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditEntry>> ListAsync(string day, string? consultationId, CancellationToken cancellationToken = default) =>
        inner.ListAsync(day, consultationId, cancellationToken);
}
