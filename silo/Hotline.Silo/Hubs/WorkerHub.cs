using Hotline.Abstractions;
using Hotline.Silo.Api;
using Hotline.Silo.Security;
using Microsoft.AspNetCore.Authorization;

namespace Hotline.Silo.Hubs;

/// <summary><c>/hubs/worker</c>: a worker's consultations.</summary>
[Authorize(Roles = Roles.Worker)]
public sealed class WorkerHub(IGrainFactory grains, GrainCalls calls) : ConsultationHub(grains, calls)
{
    /// <summary>Closes (or, while still waiting, abandons) the consultation, with an optional rating 1..5.</summary>
    public Task<ConsultationView> CloseConsultation(string consultationId, int? rating, string? comment)
        => Calls.Run(() => Consultation(consultationId).CloseByWorker(Me, rating, comment));

    /// <summary>Rates a consultation a lawyer closed (1..5), once.</summary>
    public Task<ConsultationView> RateConsultation(string consultationId, int rating, string? comment)
        => Calls.Run(() => Consultation(consultationId).Rate(Me, rating, comment));

    /// <summary>The worker's consultations, newest first.</summary>
    public Task<IReadOnlyList<ConsultationView>> GetMyConsultations() => ConsultationQueries.MyConsultations(Grains, Calls, Me.Id);
}

/// <summary>"My consultations" queries shared by the worker hub, the lawyer hub and REST.</summary>
public static class ConsultationQueries
{
    public static async Task<IReadOnlyList<ConsultationView>> MyConsultations(IGrainFactory grains, GrainCalls calls, string workerId)
        => await Views(grains, calls, await calls.Run(() => grains.GetGrain<IWorkerGrain>(workerId).GetConsultationIds()));

    /// <summary>The views of these consultations as <paramref name="caller"/> may see them (no caller: the shared view), newest first.</summary>
    public static async Task<IReadOnlyList<ConsultationView>> Views(IGrainFactory grains, GrainCalls calls, IEnumerable<string> ids, Caller? caller = null)
    {
        var views = await Task.WhenAll(ids.Select(id => calls.Run(() => caller is null
            ? grains.GetGrain<IConsultationGrain>(id).GetView()
            : grains.GetGrain<IConsultationGrain>(id).GetViewFor(caller))));
        return views.OrderByDescending(v => v.CreatedAt).ToList();
    }
}
