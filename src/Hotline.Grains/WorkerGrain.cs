using Hotline.Abstractions;
using Microsoft.Extensions.Logging;

namespace Hotline.Grains;

/// <summary>Durable state of an anonymous worker.</summary>
public sealed class WorkerState
{
    public string? DisplayName { get; set; }
    /// <summary>The phone number as given, encrypted at rest (<see cref="IPhoneNumberProtector"/>), never in plain text.</summary>
    public string? Phone { get; set; }
    public List<string> ConsultationIds { get; set; } = [];
    /// <summary>Carried in the worker's tokens; -1 after erase, so every token is refused.</summary>
    public int TokenVersion { get; set; }
    /// <summary>Browsers to tell by Web Push while no page of the worker is connected (newest last).</summary>
    public List<WebPushSubscription> PushSubscriptions { get; set; } = [];
    /// <summary>Keyed hash of the current resume code, if one was issued (revoked when a new one is issued).</summary>
    public string? ResumeCodeKey { get; set; }
    /// <summary>This worker's consultations that retention purged (their personal fields go once all of them are).</summary>
    public List<string> PurgedConsultationIds { get; set; } = [];
    /// <summary>An erase began and has not finished: the <c>erase</c> reminder finishes it (the worker cannot ask again).</summary>
    public bool Erasing { get; set; }
    /// <summary>Filed for retention by the day it was made (false for records made before 2026-11-30, until the sweep).</summary>
    public bool RetentionFiled { get; set; }
}

/// <summary>An anonymous worker: the consultations they opened, so they can leave and resume later.</summary>
public sealed partial class WorkerGrain([PersistentState("worker", StorageNames.Hotline)] IPersistentState<WorkerState> state, TimeProvider time,
    IMessageStore messages, ILogger<WorkerGrain> logger) : Grain, IWorkerGrain, IRemindable
{
    private const string EraseReminder = "erase";

    public async Task Register(string? displayName, string? phone)
    {
        // Filed for retention before anything personal is written: a record retention could not reach would keep its
        // name and phone for ever if the worker never opened a consultation. A record without either holds nothing yet.
        if (displayName is not null || phone is not null) await FileForRetention();
        state.State.DisplayName = displayName;
        state.State.Phone = phone;
        await state.WriteStateAsync();
    }

    /// <summary>
    /// Files the record for retention on today's day (unless it is filed already): in the day's grain, awaited, and the
    /// job told one-way, since a long purge run holds it and must not hold up the worker. The caller writes the state.
    /// </summary>
    private async Task FileForRetention()
    {
        if (state.State.RetentionFiled) return;
        var now = time.GetUtcNow();
        await GrainFactory.GetGrain<IRetentionDayGrain>(RetentionGrain.DayKey(now.UtcDateTime.Date)).AddWorker(this.GetPrimaryKeyString());
        await GrainFactory.GetGrain<IRetentionGrain>(GrainKeys.Hotline).WorkerFiled(now);
        state.State.RetentionFiled = true;
    }

    public async Task<bool> FileIfUnfiled()
    {
        var s = state.State;
        // The sweep activates every worker record once: one nobody is connected to goes back to the store after it.
        if (_connections.Count == 0) DeactivateOnIdle();
        if (!state.RecordExists || s.RetentionFiled || HasLiveConsultations() || s.TokenVersion < 0 || !HoldsPersonalFields()) return false;
        // The job that asks is told one-way: the retention grain waits on this call, so nothing here waits on it.
        await FileForRetention();
        await state.WriteStateAsync();
        return true;
    }

    public Task<string?> GetDisplayName() => Task.FromResult(state.State.DisplayName);

    public async Task AddConsultation(string consultationId)
    {
        if (state.State.TokenVersion < 0)
        {
            // Erased: a token issued before still passes for the revocation cache's seconds. The consultation opened with
            // it is refused, and becomes this erase's to finish (the reminder erases it if its opener cannot).
            try
            {
                if (!state.State.ConsultationIds.Contains(consultationId)) state.State.ConsultationIds.Add(consultationId);
                state.State.Erasing = true;
                await state.WriteStateAsync();
                await StartEraseReminder();
            }
            catch (Exception e)
            {
                // The refusal stands whatever happens here: it is what makes the opener erase the consultation at once.
                logger.LogError(e, "Erase: consultation {ConsultationId} of an erased worker could not be listed for the erase's reminder", consultationId);
            }
            throw Guard.Forbidden("the worker was erased");
        }
        if (state.State.ConsultationIds.Contains(consultationId)) return;
        state.State.ConsultationIds.Add(consultationId);
        await state.WriteStateAsync();
    }

    public async Task OnConsultationPurged(string consultationId)
    {
        var s = state.State;
        if (!s.ConsultationIds.Contains(consultationId) || s.PurgedConsultationIds.Contains(consultationId)) return;
        s.PurgedConsultationIds.Add(consultationId);
        // Nothing of theirs is kept any more: neither is who they said they were, nor where to reach them.
        if (!HasLiveConsultations()) await ForgetPersonalFields();
        await state.WriteStateAsync();
    }

    public async Task<bool> PurgeIfUnused()
    {
        var s = state.State;
        if (!state.RecordExists) return false;
        // This filing is used up: a personal field written from now on files the record again (FileForRetention).
        s.RetentionFiled = false;
        // A worker with consultations not yet purged loses these with the last one's purge; an erased one has none left.
        if (HasLiveConsultations() || s.TokenVersion < 0 || !HoldsPersonalFields())
        {
            await state.WriteStateAsync();
            return false;
        }
        var now = time.GetUtcNow();
        if (_connections.Values.Any(until => until > now))
        {
            // Still here (a page open on a token renewed since): counted from today again, not cleared under them.
            await FileForRetention();
            await state.WriteStateAsync();
            return false;
        }
        await ForgetPersonalFields();
        await state.WriteStateAsync();
        return true;
    }

    /// <summary>Consultations of this worker that retention has not purged (their purge clears the record's fields).</summary>
    private bool HasLiveConsultations() => state.State.ConsultationIds.Any(id => !state.State.PurgedConsultationIds.Contains(id));

    private bool HoldsPersonalFields() =>
        state.State.DisplayName is not null || state.State.Phone is not null || state.State.PushSubscriptions.Count > 0 || state.State.ResumeCodeKey is not null;

    private async Task ForgetPersonalFields()
    {
        state.State.DisplayName = null;
        state.State.Phone = null;
        state.State.PushSubscriptions.Clear();
        await RevokeResumeCode();
    }

    public Task<IReadOnlyList<string>> GetConsultationIds() => Task.FromResult<IReadOnlyList<string>>(state.State.ConsultationIds.ToList());

    public Task<int> GetTokenVersion() => Task.FromResult(state.State.TokenVersion);

    public async Task<int> Erase()
    {
        // The backstop first: once the tokens are dead below, the worker cannot ask again, so an erase that a failure
        // interrupts must be finished by the reminder. If it cannot be registered, nothing has changed yet (500, retry).
        await StartEraseReminder();
        // Tokens die first, so nothing new can be opened while the rest is erased.
        state.State.TokenVersion = -1;
        state.State.Erasing = true;
        await ForgetPersonalFields();
        await state.WriteStateAsync();
        var count = state.State.ConsultationIds.Count;
        if (count == 0)
            await AuditLog.Write(GrainFactory, new AuditEntry { At = time.GetUtcNow(), ActorId = this.GetPrimaryKeyString(), ActorRole = "worker", Action = AuditActions.Erase });
        await FinishErase(scrub: true);
        return count;
    }

    /// <summary>
    /// Erases each consultation on its own (forgetting it here once done and audited, so a retry redoes none; one that
    /// fails is kept for the next tick and does not hold up the others), scrubs once, and ends the erase when none is
    /// left. Idempotent: a consultation erased twice is blanked twice.
    /// </summary>
    private async Task FinishErase(bool scrub)
    {
        var workerId = this.GetPrimaryKeyString();
        var erased = 0;
        foreach (var id in state.State.ConsultationIds.ToList())
        {
            try
            {
                await GrainFactory.GetGrain<IConsultationGrain>(id).Erase(workerId);
            }
            catch (Exception e)
            {
                HotlineMeter.EraseFailures.Add(1);
                logger.LogError(e, "Erase: consultation {ConsultationId} could not be erased yet; the erase reminder retries it", id);
                continue;
            }
            try
            {
                await AuditLog.Write(GrainFactory, new AuditEntry { At = time.GetUtcNow(), ActorId = workerId, ActorRole = "worker", Action = AuditActions.Erase, ConsultationId = id });
            }
            catch (Exception e)
            {
                logger.LogError(e, "Erase: consultation {ConsultationId} was erased but its audit entry could not be written", id);
            }
            state.State.ConsultationIds.Remove(id);
            await state.WriteStateAsync();
            erased++;
        }
        // Once, after the worker's own fields and the consultations' texts were overwritten (a tick that erased nothing
        // does not block the store's writes again).
        if (scrub || erased > 0) await ErasedData.Scrub(GrainFactory, messages, logger, consultationsErased: erased > 0);
        if (state.State.ConsultationIds.Count > 0) return; // the reminder's next tick retries what is left
        state.State.Erasing = false;
        await state.WriteStateAsync();
        await StopEraseReminder();
    }

    /// <summary>The erase's backstop: a tick every minute until <see cref="StopEraseReminder"/>.</summary>
    private Task StartEraseReminder() => this.RegisterOrUpdateReminder(EraseReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));

    /// <summary>Best effort: a reminder left behind finds nothing to do and tries again to unregister itself.</summary>
    private async Task StopEraseReminder()
    {
        try
        {
            if (await this.GetReminder(EraseReminder) is { } reminder) await this.UnregisterReminder(reminder);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Erase: the finished erase's reminder could not be unregistered; its next tick does");
        }
    }

    /// <summary>The backstop of an erase that a failure interrupted.</summary>
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != EraseReminder) return;
        if (state.State.Erasing) await FinishErase(scrub: false);
        else await StopEraseReminder();
    }
}

/// <summary>Durable list of lawyer ids.</summary>
public sealed class RosterState
{
    public List<string> LawyerIds { get; set; } = [];
}

/// <summary>The roster: every lawyer id, for the admin view and seeding.</summary>
public sealed class RosterGrain([PersistentState("roster", StorageNames.Hotline)] IPersistentState<RosterState> state) : Grain, IRosterGrain
{
    public async Task<bool> Add(string lawyerId)
    {
        if (state.State.LawyerIds.Contains(lawyerId)) return false;
        state.State.LawyerIds.Add(lawyerId);
        await state.WriteStateAsync();
        return true;
    }

    public Task<IReadOnlyList<string>> GetAll() => Task.FromResult<IReadOnlyList<string>>(state.State.LawyerIds.ToList());

    public Task<bool> Contains(string lawyerId) => Task.FromResult(state.State.LawyerIds.Contains(lawyerId));
}
