using Hotline.Abstractions;
using Microsoft.AspNetCore.SignalR;

namespace Hotline.Silo.Hubs;

/// <summary>
/// Grains push through here, over the typed hub contexts. Users are addressed by id, so every connection of a
/// participant gets the event; with the Redis backplane on (cluster mode), a push from any silo reaches connections on
/// every web process (combined silos or fronts). The sender's own copy of a message can leave out the sending connection
/// (<see cref="WorkerExcept"/>), in one process; over the backplane it reaches every connection.
/// </summary>
public sealed class SignalRClientNotifier(
    IHubContext<WorkerHub, IWorkerClient> workers,
    IHubContext<LawyerHub, ILawyerClient> lawyers,
    IHubContext<AdminHub, IAdminClient> admins,
    BackplaneHealth backplane,
    HubLifetimeManager<WorkerHub> workerHubs) : IClientNotifier
{
    private readonly bool indexed = workerHubs is UserIndexedHubLifetimeManager<WorkerHub>;

    public IWorkerClient Worker(string workerId) => workers.Clients.User(workerId);
    public ILawyerClient Lawyer(string lawyerId) => lawyers.Clients.User(lawyerId);
    // The in-process lifetime manager reads a user's group as "the user's indexed connections" and leaves the excluded
    // one out; the Redis backplane addresses users by channel and cannot exclude one, so there the sender's connection
    // gets its own message too (clients drop it by seq and clientMessageId).
    public IWorkerClient WorkerExcept(string workerId, string connectionId)
        => indexed ? workers.Clients.GroupExcept(UserGroup.Of(workerId), connectionId) : Worker(workerId);
    public ILawyerClient LawyerExcept(string lawyerId, string connectionId)
        => indexed ? lawyers.Clients.GroupExcept(UserGroup.Of(lawyerId), connectionId) : Lawyer(lawyerId);
    public IAdminClient Admins => admins.Clients.Group(AdminHub.Group);
    public bool CanPush => !backplane.Down;
}
