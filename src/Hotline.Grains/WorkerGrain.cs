using Hotline.Abstractions;

namespace Hotline.Grains;

/// <summary>Durable state of an anonymous worker.</summary>
public sealed class WorkerState
{
    public string? DisplayName { get; set; }
    public string? Phone { get; set; }
    public List<string> ConsultationIds { get; set; } = [];
}

/// <summary>An anonymous worker: the consultations they opened, so they can leave and resume later.</summary>
public sealed class WorkerGrain([PersistentState("worker", StorageNames.Hotline)] IPersistentState<WorkerState> state) : Grain, IWorkerGrain
{
    public async Task Register(string? displayName, string? phone)
    {
        state.State.DisplayName = displayName;
        state.State.Phone = phone;
        await state.WriteStateAsync();
    }

    public Task<string?> GetDisplayName() => Task.FromResult(state.State.DisplayName);

    public async Task AddConsultation(string consultationId)
    {
        if (state.State.ConsultationIds.Contains(consultationId)) return;
        state.State.ConsultationIds.Add(consultationId);
        await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<string>> GetConsultationIds() => Task.FromResult<IReadOnlyList<string>>(state.State.ConsultationIds.ToList());
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
