using Hotline.Abstractions;
using Hotline.Domain;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace Hotline.Grains;

/// <summary>One day of the audit log as builds before the audit store kept it (read only: new entries are rows).</summary>
public sealed class AuditDayState
{
    public List<AuditEntry> Entries { get; set; } = [];
}

/// <summary>One UTC day of the audit log: rows of the audit store (<see cref="IAuditStore"/>), one per entry, so an entry
/// costs the same on a busy day as on a quiet one; an entry is durable before <see cref="Record"/> returns.</summary>
// Reentrant: neither call changes the grain's state (the store keeps the entries), so a day's entries need not wait for
// one another's commits; under SQLite group commit they share one.
[Reentrant]
public sealed class AuditGrain([PersistentState("audit", StorageNames.Hotline)] IPersistentState<AuditDayState> state, IAuditStore store)
    : Grain, IAuditGrain
{
    public Task Record(AuditEntry entry) => store.AppendAsync(this.GetPrimaryKeyString(), entry);

    public async Task<IReadOnlyList<AuditEntry>> Query(DateTimeOffset from, DateTimeOffset to, string? consultationId)
    {
        var stored = await store.ListAsync(this.GetPrimaryKeyString(), consultationId);
        // The entries an older build kept in this grain's own record come first (they were all written before any row).
        return state.State.Entries.Concat(stored)
            .Where(e => e.At >= from && e.At <= to && (consultationId is null || e.ConsultationId == consultationId)).ToList();
    }
}

/// <summary>Durable state of an open-consultation counter.</summary>
public sealed class OpenConsultationsState
{
    public List<string> Ids { get; set; } = [];
    /// <summary>When each id was reserved (ids kept by older builds have none: they count as long reserved).</summary>
    public Dictionary<string, DateTimeOffset> ReservedAt { get; set; } = [];
}

/// <summary>
/// Counts open consultations of one worker or one client address. Single-threaded like every grain, so two opens at
/// once cannot both take the last slot. Closed ones are dropped lazily, when a new slot is asked for.
/// </summary>
public sealed class OpenConsultationsGrain([PersistentState("open", StorageNames.Hotline)] IPersistentState<OpenConsultationsState> state, TimeProvider time)
    : Grain, IOpenConsultationsGrain
{
    /// <summary>
    /// How long a reserved id whose consultation is not stored counts as an open still in flight. An open that failed
    /// with an error its endpoint could not read (a timeout, a store or router failure) keeps its slot, since it may
    /// yet complete; past this it never will (a call gives up after 30 s), and its slot is free again. Before, such an id
    /// counted for good: three failed intakes during an outage locked a caller's number out of the hotline.
    /// </summary>
    public static readonly TimeSpan OpenInFlight = TimeSpan.FromMinutes(2);

    public async Task<bool> TryReserve(string consultationId, int max)
    {
        var ids = state.State.Ids;
        var reservedAt = state.State.ReservedAt;
        if (ids.Contains(consultationId)) return true;
        var now = time.GetUtcNow();
        if (ids.Count >= max)
        {
            var access = await Task.WhenAll(ids.Select(id => GrainFactory.GetGrain<IConsultationGrain>(id).GetAccess()));
            var open = new List<string>();
            for (var i = 0; i < ids.Count; i++)
            {
                var id = ids[i];
                // Counts while stored and unfinished, or, never stored, while its open could still be in flight; only the
                // latter keeps its reservation time.
                var inFlight = !access[i].Exists && reservedAt.TryGetValue(id, out var at) && now - at < OpenInFlight;
                if (inFlight || (access[i].Exists && !ConsultationStateMachine.IsTerminal(access[i].Status))) open.Add(id);
                if (!inFlight) reservedAt.Remove(id);
            }
            state.State.Ids = ids = open;
        }
        if (ids.Count >= max)
        {
            await state.WriteStateAsync();
            return false;
        }
        ids.Add(consultationId);
        reservedAt[consultationId] = now;
        await state.WriteStateAsync();
        return true;
    }

    public async Task Release(string consultationId)
    {
        if (state.State.Ids.Remove(consultationId) | state.State.ReservedAt.Remove(consultationId)) await state.WriteStateAsync();
    }
}

/// <summary>Durable state of the retention job.</summary>
public sealed class RetentionState
{
    /// <summary>Oldest day with closed consultations not yet purged.</summary>
    public DateTime? OldestPendingDay { get; set; }
    public DateTimeOffset? LastRunAt { get; set; }
    /// <summary>The sweep of older data last completed (<see cref="IRetentionGrain.Sweep"/>; 0: none).</summary>
    public int SweptVersion { get; set; }
    /// <summary>The sweep under way, and the last consultation and worker keys it finished (it resumes after them).</summary>
    public int SweepInProgress { get; set; }
    public string? SweepConsultationsAfter { get; set; }
    public string? SweepWorkersAfter { get; set; }
    /// <summary>Records a completed sweep could not do (<c>c:</c> or <c>w:</c> and the key), retried by later runs.</summary>
    public List<string> SweepRetry { get; set; } = [];
    /// <summary>How many runs have retried <see cref="SweepRetry"/> (given up after <c>MaxSweepRetryRuns</c>).</summary>
    public int SweepRetryRuns { get; set; }
    /// <summary>Audit entries of purges done whose writing failed: written by the next runs (a retried purge finds its
    /// record purged already and would audit nothing).</summary>
    public List<AuditEntry> PendingPurgeAudits { get; set; } = [];
}

/// <summary>
/// The retention job: files closed consultations by day and purges whole days older than the retention. Its progress
/// is durable, so after a restart (or a long downtime) the next run catches up on every day it missed.
/// </summary>
public sealed class RetentionGrain([PersistentState("retention", StorageNames.Hotline)] IPersistentState<RetentionState> state, TimeProvider time,
    IMessageStore messages, IGrainStateCatalog catalog, ILogger<RetentionGrain> logger)
    : Grain, IRetentionGrain
{
    public static string DayKey(DateTime day) => "retention-" + day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    public async Task Track(string consultationId, DateTimeOffset closedAt)
    {
        var day = closedAt.UtcDateTime.Date;
        await GrainFactory.GetGrain<IRetentionDayGrain>(DayKey(day)).Add(consultationId);
        await Pending(day);
    }

    public Task WorkerFiled(DateTimeOffset filedAt) => Pending(filedAt.UtcDateTime.Date);

    private async Task Pending(DateTime day)
    {
        if (state.State.OldestPendingDay is null || day < state.State.OldestPendingDay)
        {
            state.State.OldestPendingDay = day;
            await state.WriteStateAsync();
        }
    }

    /// <summary>The sweep this build needs (see <see cref="IRetentionGrain.Sweep"/>): 1, the data of builds before 2026-11-30.</summary>
    public const int CurrentSweep = 1;

    private const int SweepPage = 500;

    /// <summary>At most this many failed records are kept for a retry; with more, the whole walk runs again.</summary>
    private const int MaxSweepRetry = 1_000;

    /// <summary>Runs (hourly) that retry the records a sweep could not do before they are given up, with an error logged.</summary>
    private const int MaxSweepRetryRuns = 48;

    public async Task<SweepResult> Sweep(int version)
    {
        var s = state.State;
        var result = new SweepCounts();
        var overflow = false;
        try
        {
            if (s.SweptVersion >= version)
            {
                // Done, but for the records it could not do: only those are tried again, for a bounded number of runs.
                if (s.SweepRetry.Count == 0) return new SweepResult(false, 0, 0, 0);
                if (++s.SweepRetryRuns > MaxSweepRetryRuns)
                {
                    logger.LogError("Sweep {Version}: {Count} records still failed after {Runs} runs; they are given up", version, s.SweepRetry.Count, MaxSweepRetryRuns);
                    s.SweepRetry.Clear();
                    await state.WriteStateAsync();
                    return new SweepResult(false, 0, 0, 0);
                }
                var retry = s.SweepRetry.ToList();
                s.SweepRetry.Clear();
                foreach (var item in retry)
                    if (!await SweepOne(item[0] == 'c' ? SweepKind.Consultation : SweepKind.Worker, item[2..], result)) Keep(item);
                await state.WriteStateAsync();
                return result.ToResult();
            }
            if (s.SweepInProgress != version)
            {
                // A new sweep (or another version than the one interrupted) walks from the first key.
                s.SweepInProgress = version;
                s.SweepConsultationsAfter = s.SweepWorkersAfter = null;
                s.SweepRetry.Clear();
                s.SweepRetryRuns = 0;
            }
            // Consultations erased by an older build: advice and region blanked, forgotten by the collective detector, and
            // their workers told as by a purge (a worker whose every consultation is erased loses its personal fields).
            while (await catalog.ListKeysAsync("consultation", "consultation", s.SweepConsultationsAfter, SweepPage) is { Count: > 0 } page)
            {
                foreach (var id in page)
                    if (!await SweepOne(SweepKind.Consultation, id, result)) Keep("c:" + id);
                s.SweepConsultationsAfter = page[^1];
                await state.WriteStateAsync();
            }
            // Worker records made before they were filed for retention.
            while (await catalog.ListKeysAsync("worker", "worker", s.SweepWorkersAfter, SweepPage) is { Count: > 0 } page)
            {
                foreach (var id in page)
                    if (!await SweepOne(SweepKind.Worker, id, result)) Keep("w:" + id);
                s.SweepWorkersAfter = page[^1];
                await state.WriteStateAsync();
            }
            s.SweepConsultationsAfter = s.SweepWorkersAfter = null;
            if (overflow)
            {
                // More failed than can be kept: the next run walks everything again (each step is idempotent).
                logger.LogError("Sweep {Version}: more than {Max} records failed; the whole walk runs again", version, MaxSweepRetry);
                s.SweepRetry.Clear();
            }
            else
            {
                s.SweepInProgress = 0;
                s.SweptVersion = version;
            }
            await state.WriteStateAsync();
        }
        finally
        {
            if (result.Erased > 0) await ErasedData.Scrub(GrainFactory, messages, logger, consultationsErased: true);
            if (result.Failed > 0) HotlineMeter.RetentionFailures.Add(result.Failed);
        }
        logger.LogInformation("Sweep {Version}: {Erased} erased consultations, {Filed} worker records filed, {Failed} failures (kept for the next run)",
            version, result.Erased, result.Filed, result.Failed);
        return result.ToResult();

        void Keep(string item)
        {
            if (s.SweepRetry.Contains(item)) return;
            if (s.SweepRetry.Count < MaxSweepRetry) s.SweepRetry.Add(item);
            else overflow = true;
        }
    }

    private enum SweepKind { Consultation, Worker }

    private sealed class SweepCounts
    {
        public int Erased, Filed, Failed;

        public SweepResult ToResult() => new(true, Erased, Filed, Failed);
    }

    /// <summary>One record of the sweep; false when it failed (logged by exception type only: grain ids name workers).</summary>
    private async Task<bool> SweepOne(SweepKind kind, string id, SweepCounts counts)
    {
        try
        {
            if (kind == SweepKind.Consultation)
            {
                if (await GrainFactory.GetGrain<IConsultationGrain>(id).SweepErased() is { } workerId)
                {
                    counts.Erased++;
                    await GrainFactory.GetGrain<IWorkerGrain>(workerId).OnConsultationPurged(id);
                }
            }
            else
            {
                // Filed by the worker grain as a new record is (its notice to this busy grain is one-way).
                if (await GrainFactory.GetGrain<IWorkerGrain>(id).FileIfUnfiled()) counts.Filed++;
            }
            return true;
        }
        catch (Exception e)
        {
            counts.Failed++;
            logger.LogError("Sweep: a {Kind} record could not be swept ({Error}); it is retried by the next run", kind, e.GetType().Name);
            return false;
        }
    }

    public async Task<int> RunDue(int retentionDays)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(retentionDays);
        // The data older builds left first (once; resumes after a restart). A sweep that fails does not hold up the purge.
        try
        {
            await WritePendingAudits();
        }
        catch (Exception e)
        {
            // Kept in memory too: the next run writes them (and the state) again.
            logger.LogError("Retention: pending purge audit entries could not be saved ({Error})", e.GetType().Name);
        }
        try
        {
            await Sweep(CurrentSweep);
        }
        catch (Exception e)
        {
            HotlineMeter.RetentionFailures.Add(1);
            logger.LogError("Sweep {Version} failed ({Error}); the next run resumes it", CurrentSweep, e.GetType().Name);
        }
        var now = time.GetUtcNow();
        var cutoff = now - TimeSpan.FromDays(retentionDays);
        // Nothing filed yet as far as the job knows (a one-way notice lost): days from the cutoff on are walked.
        state.State.OldestPendingDay ??= cutoff.UtcDateTime.Date;
        int purged = 0, workersPurged = 0;
        // The first day with an item that failed: the job's cursor stays there, so the next run retries it (what was done
        // is found done again), while the later days go on being purged in this run.
        DateTime? retry = null;
        try
        {
            // A day is done when all of it is older than the cutoff.
            for (var day = state.State.OldestPendingDay; day is { } d && d.AddDays(1) <= cutoff.UtcDateTime; day = d.AddDays(1))
            {
                var dayGrain = GrainFactory.GetGrain<IRetentionDayGrain>(DayKey(d));
                var failed = 0;
                foreach (var id in await dayGrain.GetIds())
                {
                    try
                    {
                        if (await PurgeConsultation(id, retentionDays, cutoff)) purged++;
                    }
                    catch (Exception e)
                    {
                        failed++;
                        logger.LogError("Retention: consultation {ConsultationId} could not be purged ({Error}); its day is retried by the next run", id, e.GetType().Name);
                    }
                }
                // Worker records made that day: one that never opened a consultation loses its personal fields (one that did
                // loses them with its last consultation's purge, above or on a later day).
                foreach (var workerId in await dayGrain.GetWorkerIds())
                {
                    try
                    {
                        if (await PurgeWorker(workerId, retentionDays)) workersPurged++;
                    }
                    catch (Exception e)
                    {
                        failed++;
                        logger.LogError("Retention: a worker record could not be purged ({Error}); its day is retried by the next run", e.GetType().Name);
                    }
                }
                if (failed > 0)
                {
                    // One record that keeps failing must not stop retention for every later day.
                    HotlineMeter.RetentionFailures.Add(failed);
                    retry ??= d;
                    continue;
                }
                await dayGrain.Clear();
                if (retry is not null) continue;
                // Progress is durable per day: a restart in the middle resumes from the next day.
                state.State.OldestPendingDay = d.AddDays(1);
                await state.WriteStateAsync();
            }
            state.State.LastRunAt = now;
            await state.WriteStateAsync();
        }
        finally
        {
            // Also when the run stops part way: what it purged is scrubbed now (a retried run finds it purged already).
            if (purged > 0 || workersPurged > 0) await ErasedData.Scrub(GrainFactory, messages, logger, consultationsErased: purged > 0);
        }
        return purged;
    }

    private async Task<bool> PurgeConsultation(string id, int retentionDays, DateTimeOffset cutoff)
    {
        var result = await GrainFactory.GetGrain<IConsultationGrain>(id).Purge(cutoff);
        if (result.Purged) await AuditPurge(id, $"retention {retentionDays} days");
        // Told here, not by the consultation: a worker erasing calls its consultations, which must not call back.
        if (result.WorkerId is { } owner) await GrainFactory.GetGrain<IWorkerGrain>(owner).OnConsultationPurged(id);
        return result.Purged;
    }

    private async Task<bool> PurgeWorker(string workerId, int retentionDays)
    {
        if (!await GrainFactory.GetGrain<IWorkerGrain>(workerId).PurgeIfUnused()) return false;
        await AuditPurge(null, $"retention {retentionDays} days: a worker record without consultations");
        return true;
    }

    /// <summary>Audits a purge that is done. An entry that cannot be written is kept in the job's state and written by a
    /// later run (<see cref="WritePendingAudits"/>): the purge is not undone, and its retry would find nothing to audit.</summary>
    private async Task AuditPurge(string? consultationId, string reason)
    {
        var entry = new AuditEntry
        {
            At = time.GetUtcNow(), ActorId = "system", ActorRole = "system", Action = AuditActions.Purge, ConsultationId = consultationId, Reason = reason,
        };
        try
        {
            await AuditLog.Write(GrainFactory, entry);
        }
        catch (Exception e)
        {
            HotlineMeter.RetentionFailures.Add(1);
            var pending = state.State.PendingPurgeAudits;
            if (pending.Count >= MaxPendingAudits)
            {
                logger.LogError("Retention: a purge's audit entry could not be written ({Error}), and {Count} are pending already: it is dropped",
                    e.GetType().Name, pending.Count);
                return;
            }
            logger.LogError("Retention: a purge's audit entry could not be written ({Error}); it is written by the next run", e.GetType().Name);
            pending.Add(entry);
            // Saved now, before the day is cleared: a retried day finds the record purged and would not audit it again.
            try
            {
                await state.WriteStateAsync();
            }
            catch (Exception saveError)
            {
                logger.LogError("Retention: the pending audit entry could not be saved ({Error}); it waits in memory", saveError.GetType().Name);
            }
        }
    }

    /// <summary>Most purge audit entries kept for a later run (the store failing for a long time): beyond it they are
    /// dropped with an error, so the job's state stays small.</summary>
    private const int MaxPendingAudits = 10_000;

    /// <summary>Writes the audit entries earlier runs could not (each at its purge's own instant); those that fail again stay.</summary>
    private async Task WritePendingAudits()
    {
        var pending = state.State.PendingPurgeAudits;
        if (pending.Count == 0) return;
        var written = 0;
        try
        {
            // In order, and no further after a failure: the store is likely down, and each attempt may take its whole retry budget.
            for (; written < pending.Count; written++) await AuditLog.Write(GrainFactory, pending[written]);
        }
        catch (Exception e)
        {
            HotlineMeter.RetentionFailures.Add(1);
            logger.LogError("Retention: {Count} pending purge audit entries could not be written yet ({Error}); kept for the next run",
                pending.Count - written, e.GetType().Name);
        }
        if (written == 0) return;
        pending.RemoveRange(0, written);
        await state.WriteStateAsync();
    }

    public Task<DateTimeOffset?> GetLastRun() => Task.FromResult(state.State.LastRunAt);
}

/// <summary>Durable state of one retention day as builds before the retention index kept it (read, then cleared with the day).</summary>
public sealed class RetentionDayState
{
    public List<string> Ids { get; set; } = [];
    /// <summary>Worker records made that day.</summary>
    public List<string> WorkerIds { get; set; } = [];
}

/// <summary>
/// The consultations closed and the worker records given a personal field on one UTC day: rows of the retention index
/// (<see cref="IRetentionIndex"/>), one per record, so an addition costs the same on a busy day as on a quiet one. The
/// grain's own state holds what older builds listed there; it is read with the rows and cleared with the day.
/// </summary>
public sealed class RetentionDayGrain([PersistentState("retention-day", StorageNames.Hotline)] IPersistentState<RetentionDayState> state,
    IRetentionIndex index) : Grain, IRetentionDayGrain
{
    private string Day => this.GetPrimaryKeyString();

    public Task Add(string consultationId) => index.AddAsync(Day, RetentionRecordKind.Consultation, consultationId);

    public Task<IReadOnlyList<string>> GetIds() => List(RetentionRecordKind.Consultation, state.State.Ids);

    public Task AddWorker(string workerId) => index.AddAsync(Day, RetentionRecordKind.Worker, workerId);

    public Task<IReadOnlyList<string>> GetWorkerIds() => List(RetentionRecordKind.Worker, state.State.WorkerIds);

    private async Task<IReadOnlyList<string>> List(RetentionRecordKind kind, List<string> older)
    {
        var ids = await index.ListAsync(Day, kind);
        if (older.Count == 0) return ids;
        return [.. older.Union(ids, StringComparer.Ordinal)];
    }

    public async Task Clear()
    {
        await index.ClearAsync(Day);
        if (state.RecordExists) await state.ClearStateAsync();
    }
}

/// <summary>Durable state of one username's failed logins.</summary>
public sealed class LoginThrottleState
{
    public int Failures { get; set; }
    public DateTimeOffset BlockedUntil { get; set; }
    public DateTimeOffset LastFailureAt { get; set; }
}

/// <summary>
/// One username's failed-login count and wait (the key is a hash of the username, never the name). Durable once the
/// backoff has started, so neither a silo failure nor a deactivation lifts a running wait; the count is forgotten after a
/// quiet spell (<see cref="LoginBackoff.Forgotten"/>) and the row deleted, so an owner is never held at the longest wait
/// for ever and stored rows are only those of usernames under attack.
/// </summary>
public sealed class LoginThrottleGrain([PersistentState("login-throttle", StorageNames.Hotline)] IPersistentState<LoginThrottleState> state,
    TimeProvider time) : Grain, ILoginThrottleGrain
{
    public async Task<TimeSpan?> RetryAfter()
    {
        var now = time.GetUtcNow();
        var left = state.State.BlockedUntil - now;
        if (left > TimeSpan.Zero) return left;
        // Nothing to hold any more: the row goes, so stored rows are only those of usernames under attack.
        // (This grain does not know the longest wait, so the shortest quiet spell, an hour, applies; the wait itself is over.)
        if (state.RecordExists && LoginBackoff.Forgotten(state.State.LastFailureAt, now, maxBackoffSeconds: 0)) await state.ClearStateAsync();
        return null;
    }

    public async Task Failed(int freeFailures, int maxBackoffSeconds)
    {
        var now = time.GetUtcNow();
        var s = state.State;
        if (LoginBackoff.Forgotten(s.LastFailureAt, now, maxBackoffSeconds)) s.Failures = 0;
        s.Failures++;
        s.LastFailureAt = now;
        var wait = LoginBackoff.WaitAfter(s.Failures, freeFailures, maxBackoffSeconds);
        if (wait <= TimeSpan.Zero) return; // free attempts stay in memory: a spray of one-off usernames writes no rows
        s.BlockedUntil = now + wait;
        await state.WriteStateAsync();
    }

    public async Task Succeeded()
    {
        if (!state.RecordExists) return;
        await state.ClearStateAsync();
    }
}

/// <summary>After erases are written: no copy of what they overwrote stays in the store's files.</summary>
internal static class ErasedData
{
    /// <summary>
    /// Once after a batch of erases (a worker's, a retention run's), not per consultation: each scrub blocks the store's
    /// writes while it copies the WAL. First, when consultations were erased, the router writes a snapshot, so its journal
    /// no longer holds their employer keys; then the store checkpoints. Best effort: the erases stand either way, the
    /// router's next snapshot and the store's next checkpoint finish it.
    /// </summary>
    public static async Task Scrub(IGrainFactory grains, IMessageStore store, ILogger logger, bool consultationsErased)
    {
        try
        {
            // A whole snapshot of the router only when the journal may hold an erased consultation's entry.
            if (consultationsErased) await grains.GetGrain<IRouterGrain>(GrainKeys.Hotline).Compact();
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Erase: the router could not write its snapshot; its next snapshot will drop the erased consultations' journal");
        }
        try
        {
            if (!await store.ScrubErasedAsync()) logger.LogWarning("Erase: the store could not checkpoint yet (a reader held an older snapshot); its next checkpoint will");
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Erase: the store's checkpoint failed; its next checkpoint will remove the erased data from its files");
        }
    }
}
