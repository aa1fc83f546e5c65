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

    /// <summary>
    /// The views of these consultations, in the order given, each read from its own grain (pull: the waiting
    /// consultations a lawyer may take, which they are not involved in yet, so no need-to-know view applies).
    /// </summary>
    public static async Task<IReadOnlyList<ConsultationView>> ViewsInOrder(IGrainFactory grains, GrainCalls calls, IEnumerable<string> ids)
        => await Task.WhenAll(ids.Select(id => calls.Run(() => grains.GetGrain<IConsultationGrain>(id).GetView())));

    /// <summary>
    /// A consultation as an admin sees it without an access grant (an alert's links, the answer to a requeue): its state,
    /// category, region and counts, none of what the worker wrote or was told (summary, name, the employer as spelled,
    /// the lawyer's advice, the rating, the call-back number and attempts). The transcript and these fields are read only
    /// through an audited grant.
    /// </summary>
    public static ConsultationView AdminMetadata(ConsultationView view) => view with
    {
        Summary = "",
        WorkerName = null,
        Employer = null,
        Advice = null,
        Rating = null,
        CallbackNumber = null,
        CallAttempts = null,
    };
}
