using Hotline.Abstractions;
using Microsoft.AspNetCore.SignalR;

namespace Hotline.Silo.Hubs;

/// <summary>
/// Grains push through here. Users are addressed by id, so every connection of a participant gets the event; with the
/// Redis backplane on (cluster mode), a push from any silo reaches connections on every silo.
/// </summary>
public sealed class SignalRClientNotifier(IHubContext<WorkerHub> workers, IHubContext<LawyerHub> lawyers, IHubContext<AdminHub> admins) : IClientNotifier
{
    public Task ToWorker(string workerId, string method, object payload) => workers.Clients.User(workerId).SendAsync(method, payload);
    public Task ToLawyer(string lawyerId, string method, object payload) => lawyers.Clients.User(lawyerId).SendAsync(method, payload);
    public Task ToAdmins(string method, object payload) => admins.Clients.Group(AdminHub.Group).SendAsync(method, payload);
}
