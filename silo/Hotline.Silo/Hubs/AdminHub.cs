using Hotline.Abstractions;
using Hotline.Silo.Api;
using Hotline.Silo.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace Hotline.Silo.Hubs;

/// <summary><c>/hubs/admin</c>: live <c>Metrics</c> about once a second.</summary>
[Authorize(Roles = Roles.Admin)]
public sealed class AdminHub(IGrainFactory grains, GrainCalls calls) : Hub<IAdminClient>
{
    public const string Group = "admins";

    public override async Task OnConnectedAsync()
    {
        await Groups.AddToGroupAsync(Context.ConnectionId, Group);
        // A fresh screen shows numbers at once rather than after the next tick.
        await Clients.Caller.Metrics(await GetMetrics());
        await base.OnConnectedAsync();
    }

    public Task<MetricsSnapshot> GetMetrics() => calls.Run(() => grains.GetGrain<IStatisticsGrain>(GrainKeys.Hotline).GetSnapshot());
}
