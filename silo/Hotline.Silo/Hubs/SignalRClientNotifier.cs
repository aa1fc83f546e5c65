using Hotline.Abstractions;
using Microsoft.AspNetCore.SignalR;

namespace Hotline.Silo.Hubs;

/// <summary>
/// Grains push through here, over the typed hub contexts. Users are addressed by id, so every connection of a
/// participant gets the event; with the Redis backplane on (cluster mode), a push from any silo reaches connections on
/// every web process (combined silos or fronts).
/// </summary>
public sealed class SignalRClientNotifier(
    IHubContext<WorkerHub, IWorkerClient> workers,
    IHubContext<LawyerHub, ILawyerClient> lawyers,
    IHubContext<AdminHub, IAdminClient> admins,
    BackplaneHealth backplane) : IClientNotifier
{
    public IWorkerClient Worker(string workerId) => workers.Clients.User(workerId);
    public ILawyerClient Lawyer(string lawyerId) => lawyers.Clients.User(lawyerId);
    public IAdminClient Admins => admins.Clients.Group(AdminHub.Group);
    public bool CanPush => !backplane.Down;
}
