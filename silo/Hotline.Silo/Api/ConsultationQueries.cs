using Hotline.Abstractions;

namespace Hotline.Silo.Api;

/// <summary>"My consultations" queries shared by the worker hub, the lawyer hub and REST.</summary>
public static class ConsultationQueries
{
    public static async Task<IReadOnlyList<ConsultationView>> MyConsultations(IGrainFactory grains, GrainCalls calls, string workerId)
        => await Views(grains, calls, await calls.Run(() => grains.GetGrain<IWorkerGrain>(workerId).GetConsultationIds()));

    /// <summary>The views of these consultations, newest first.</summary>
    public static async Task<IReadOnlyList<ConsultationView>> Views(IGrainFactory grains, GrainCalls calls, IEnumerable<string> ids)
    {
        var views = await Task.WhenAll(ids.Select(id => calls.Run(() => grains.GetGrain<IConsultationGrain>(id).GetView())));
        return views.OrderByDescending(v => v.CreatedAt).ToList();
    }
}
