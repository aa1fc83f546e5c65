using Hotline.Abstractions;
using Hotline.Silo.Api;
using Hotline.Silo.Security;
using Microsoft.AspNetCore.Authorization;

namespace Hotline.Silo.Hubs;

/// <summary><c>/hubs/worker</c>: a worker's consultations.</summary>
[Authorize(Roles = Roles.Worker)]
public sealed class WorkerHub(IGrainFactory grains, GrainCalls calls, WorkerPresence presence) : ConsultationHub<IWorkerClient>(grains, calls)
{
    /// <summary>A connected page gets events here; the worker grain then sends no Web Push.</summary>
    public override Task OnConnectedAsync() => presence.Connected(Context.ConnectionId, Me.Id);

    public override Task OnDisconnectedAsync(Exception? exception) => presence.Disconnected(Context.ConnectionId);

    /// <summary>Closes (or, while still waiting, abandons) the consultation, with an optional rating 1..5.</summary>
    public Task<ConsultationView> CloseConsultation(string consultationId, int? rating, string? comment)
        => Calls.Run(() => Consultation(consultationId).CloseByWorker(Me, rating, comment));

    /// <summary>Rates a consultation a lawyer closed (1..5), once.</summary>
    public Task<ConsultationView> RateConsultation(string consultationId, int rating, string? comment)
        => Calls.Run(() => Consultation(consultationId).Rate(Me, rating, comment));

    /// <summary>The worker's consultations, newest first.</summary>
    public Task<IReadOnlyList<ConsultationView>> GetMyConsultations() => ConsultationQueries.MyConsultations(Grains, Calls, Me.Id);
}
