using Hotline.Abstractions;

namespace Hotline.Silo.Api;

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
