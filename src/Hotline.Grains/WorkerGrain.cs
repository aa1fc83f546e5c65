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
}

/// <summary>An anonymous worker: the consultations they opened, so they can leave and resume later.</summary>
public sealed partial class WorkerGrain([PersistentState("worker", StorageNames.Hotline)] IPersistentState<WorkerState> state, TimeProvider time,
    IMessageStore messages, ILogger<WorkerGrain> logger) : Grain, IWorkerGrain, IRemindable
{
    private const string EraseReminder = "erase";

    public async Task Register(string? displayName, string? phone)
    {
        state.State.DisplayName = displayName;
        state.State.Phone = phone;
        await state.WriteStateAsync();
    }

    public Task<string?> GetDisplayName() => Task.FromResult(state.State.DisplayName);

    public async Task AddConsultation(string consultationId)
    {
        // Erased: a token issued before still passes for the revocation cache's seconds; nothing new is theirs.
        if (state.State.TokenVersion < 0) throw Guard.Forbidden("the worker was erased");
        if (state.State.ConsultationIds.Contains(consultationId)) return;
        state.State.ConsultationIds.Add(consultationId);
        await state.WriteStateAsync();
    }

    public async Task OnConsultationPurged(string consultationId)
    {
        var s = state.State;
        if (!s.ConsultationIds.Contains(consultationId) || s.PurgedConsultationIds.Contains(consultationId)) return;
        s.PurgedConsultationIds.Add(consultationId);
        if (s.ConsultationIds.All(s.PurgedConsultationIds.Contains))
        {
            // Nothing of theirs is kept any more: neither is who they said they were, nor where to reach them.
            s.DisplayName = null;
            s.Phone = null;
            s.PushSubscriptions.Clear();
            await RevokeResumeCode();
        }
        await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<string>> GetConsultationIds() => Task.FromResult<IReadOnlyList<string>>(state.State.ConsultationIds.ToList());

    public Task<int> GetTokenVersion() => Task.FromResult(state.State.TokenVersion);

    public async Task<int> Erase()
    {
        // Tokens die first, so nothing new can be opened while the rest is erased.
        state.State.TokenVersion = -1;
        state.State.DisplayName = null;
        state.State.Phone = null;
        state.State.PushSubscriptions.Clear();
        state.State.Erasing = true;
        await RevokeResumeCode();
        await state.WriteStateAsync();
        var count = state.State.ConsultationIds.Count;
        if (count == 0)
            await AuditLog.Write(GrainFactory, new AuditEntry { At = time.GetUtcNow(), ActorId = this.GetPrimaryKeyString(), ActorRole = "worker", Action = AuditActions.Erase });
        try
        {
            // From here the worker can no longer ask again (their tokens are dead): if a step fails, the reminder retries.
            await this.RegisterOrUpdateReminder(EraseReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Erase: could not register the reminder that finishes an interrupted erase");
        }
        await FinishErase();
        return count;
    }

    /// <summary>
    /// Erases each consultation (forgetting it here once done and audited, so a retry redoes none), then scrubs once and
    /// ends the erase. Idempotent: a consultation erased twice is blanked twice.
    /// </summary>
    private async Task FinishErase()
    {
        var workerId = this.GetPrimaryKeyString();
        var erased = 0;
        while (state.State.ConsultationIds.Count > 0)
        {
            var id = state.State.ConsultationIds[0];
            await GrainFactory.GetGrain<IConsultationGrain>(id).Erase(workerId);
            await AuditLog.Write(GrainFactory, new AuditEntry { At = time.GetUtcNow(), ActorId = workerId, ActorRole = "worker", Action = AuditActions.Erase, ConsultationId = id });
            state.State.ConsultationIds.RemoveAt(0);
            await state.WriteStateAsync();
            erased++;
        }
        // Once, after the worker's own fields and every consultation's texts were overwritten.
        await ErasedData.Scrub(GrainFactory, messages, logger, consultationsErased: erased > 0);
        state.State.Erasing = false;
        await state.WriteStateAsync();
        if (await this.GetReminder(EraseReminder) is { } reminder) await this.UnregisterReminder(reminder);
    }

    /// <summary>The backstop of an erase that a failure interrupted.</summary>
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != EraseReminder) return;
        if (state.State.Erasing) await FinishErase();
        else if (await this.GetReminder(EraseReminder) is { } reminder) await this.UnregisterReminder(reminder);
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
}
