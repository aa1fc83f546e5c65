using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.AspNetCore.SignalR;

namespace Hotline.Silo.Hubs;

/// <summary>
/// The in-process hub lifetime manager (no Redis backplane) with an index of connections by user. SignalR's default
/// sends to a user by scanning every connection of the hub and comparing user ids, so each push to a worker cost
/// O(connected workers); grains push every message to a user (<see cref="SignalRClientNotifier"/>), and with thousands
/// of workers connected that scan was a large part of a message's CPU. Here a user's connections are found in one
/// dictionary look-up and written to directly. Everything else (groups, all, connection ids) is the default's.
/// With the Redis backplane, <c>RedisHubLifetimeManager</c> replaces this (it addresses users by channel).
/// </summary>
public sealed class UserIndexedHubLifetimeManager<THub>(ILogger<DefaultHubLifetimeManager<THub>> logger) : DefaultHubLifetimeManager<THub>(logger)
    where THub : Hub
{
    // Copy-on-write sets: a user has one or a few connections, and connects far less often than it is sent to.
    private readonly ConcurrentDictionary<string, ImmutableArray<string>> _byUser = new(StringComparer.Ordinal);

    public override async Task OnConnectedAsync(HubConnectionContext connection)
    {
        await base.OnConnectedAsync(connection);
        if (connection.UserIdentifier is { } user)
            _byUser.AddOrUpdate(user, static (_, id) => [id], static (_, ids, id) => ids.Add(id), connection.ConnectionId);
    }

    public override async Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        if (connection.UserIdentifier is { } user)
        {
            while (_byUser.TryGetValue(user, out var ids))
            {
                var left = ids.Remove(connection.ConnectionId);
                if (left.IsEmpty ? _byUser.TryRemove(KeyValuePair.Create(user, ids)) : _byUser.TryUpdate(user, left, ids)) break;
            }
        }
        await base.OnDisconnectedAsync(connection);
    }

    /// <summary>How many open connections the index holds for a user (diagnostics and tests).</summary>
    public int ConnectionsOf(string userId) => _byUser.TryGetValue(userId, out var ids) ? ids.Length : 0;

    public override Task SendUserAsync(string userId, string methodName, object?[] args, CancellationToken cancellationToken = default)
    {
        if (!_byUser.TryGetValue(userId, out var ids)) return Task.CompletedTask;
        if (ids.Length == 1) return SendConnectionAsync(ids[0], methodName, args, cancellationToken);
        var sends = new Task[ids.Length];
        for (var i = 0; i < ids.Length; i++) sends[i] = SendConnectionAsync(ids[i], methodName, args, cancellationToken);
        return Task.WhenAll(sends);
    }

    public override Task SendGroupExceptAsync(string groupName, string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default)
    {
        if (!groupName.StartsWith(UserGroup.Prefix, StringComparison.Ordinal))
            return base.SendGroupExceptAsync(groupName, methodName, args, excludedConnectionIds, cancellationToken);
        if (!_byUser.TryGetValue(groupName[UserGroup.Prefix.Length..], out var ids)) return Task.CompletedTask;
        List<Task>? sends = null;
        foreach (var id in ids)
        {
            if (excludedConnectionIds.Contains(id)) continue;
            (sends ??= []).Add(SendConnectionAsync(id, methodName, args, cancellationToken));
        }
        return sends is null ? Task.CompletedTask : Task.WhenAll(sends);
    }

    public override Task SendUsersAsync(IReadOnlyList<string> userIds, string methodName, object?[] args, CancellationToken cancellationToken = default)
    {
        var sends = new List<Task>();
        foreach (var user in userIds) sends.Add(SendUserAsync(user, methodName, args, cancellationToken));
        return Task.WhenAll(sends);
    }
}

/// <summary>
/// A group name that stands for every connection of one user: sent to with <c>GroupExcept</c> through
/// <see cref="UserIndexedHubLifetimeManager{THub}"/>, it reaches the user's indexed connections but the excluded ones
/// (no group membership is kept).
/// </summary>
public static class UserGroup
{
    /// <summary>A prefix no group of the hubs uses (they name roles).</summary>
    internal const string Prefix = "\u0001user:";

    /// <summary>The group of every connection of <paramref name="userId"/>.</summary>
    public static string Of(string userId) => Prefix + userId;
}
