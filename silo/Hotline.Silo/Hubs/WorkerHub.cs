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

    /// <summary>The worker's consultations, newest first.</summary>
    public Task<IReadOnlyList<ConsultationView>> GetMyConsultations() => ConsultationQueries.MyConsultations(Grains, Calls, Me.Id);
}

/// <summary>"My consultations" queries shared by the worker hub, the lawyer hub and REST.</summary>
public static class ConsultationQueries
{
    public static async Task<IReadOnlyList<ConsultationView>> MyConsultations(IGrainFactory grains, GrainCalls calls, string workerId)
        => await Views(grains, calls, await calls.Run(() => grains.GetGrain<IWorkerGrain>(workerId).GetConsultationIds()),
            new Caller(Domain.ParticipantRole.Worker, workerId, ""));

    /// <summary>The views of these consultations that <paramref name="reader"/> may see (need-to-know), newest first.</summary>
    public static async Task<IReadOnlyList<ConsultationView>> Views(IGrainFactory grains, GrainCalls calls, IEnumerable<string> ids, Caller reader)
    {
        var views = await Task.WhenAll(ids.Select(id => calls.Run(() => grains.GetGrain<IConsultationGrain>(id).ViewAs(reader))));
        return views.OfType<ConsultationView>().OrderByDescending(v => v.CreatedAt).ToList();
    }
}
