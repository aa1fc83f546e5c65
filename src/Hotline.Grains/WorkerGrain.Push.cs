using Hotline.Abstractions;

namespace Hotline.Grains;

// Web Push and resume codes of a worker (contract v2, "Around the clock"; issue 11 items 4 and 5).
public sealed partial class WorkerGrain
{
    /// <summary>A worker keeps at most this many browsers subscribed (the oldest goes first).</summary>
    private const int MaxSubscriptions = 5;

    /// <summary>
    /// A connection not renewed within this lease is counted as gone: the web process that held it may have died
    /// without saying so. Each web process renews its worker connections every <see cref="PresenceRenewSeconds"/>.
    /// </summary>
    public const double PresenceLeaseSeconds = 90;
    /// <summary>How often a web process renews the presence of its open worker connections.</summary>
    public const double PresenceRenewSeconds = 30;

    /// <summary>Open hub connections of this worker and when their lease ends (memory only: a restart forgets them, and they renew).</summary>
    private readonly Dictionary<string, DateTimeOffset> _connections = new(StringComparer.Ordinal);

    public async Task SetPushSubscription(WebPushSubscription subscription)
    {
        if (state.State.TokenVersion < 0) throw Guard.Forbidden("erased");
        // A personal field on a record without live consultations: filed first, so retention reaches it (theirs would
        // otherwise), and nothing is kept unfiled if filing fails.
        if (!HasLiveConsultations()) await FileForRetention();
        var list = state.State.PushSubscriptions;
        list.RemoveAll(s => s.Endpoint == subscription.Endpoint);
        list.Add(subscription);
        if (list.Count > MaxSubscriptions) list.RemoveRange(0, list.Count - MaxSubscriptions);
        await state.WriteStateAsync();
    }

    public async Task RemovePushSubscription(string endpoint)
    {
        if (state.State.PushSubscriptions.RemoveAll(s => s.Endpoint == endpoint) > 0) await state.WriteStateAsync();
    }

    public Task Connected(string connectionId)
    {
        _connections[connectionId] = time.GetUtcNow().AddSeconds(PresenceLeaseSeconds);
        return Task.CompletedTask;
    }

    public Task Disconnected(string connectionId)
    {
        _connections.Remove(connectionId);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<WebPushSubscription>> GetPushTargets()
    {
        var now = time.GetUtcNow();
        foreach (var (id, until) in _connections.ToList())
            if (until <= now) _connections.Remove(id);
        // A connected page gets the event over SignalR: no push on top of it.
        IReadOnlyList<WebPushSubscription> targets = _connections.Count > 0 ? [] : state.State.PushSubscriptions.ToList();
        return Task.FromResult(targets);
    }

    public async Task<bool> SetResumeCode(string codeKey, DateTimeOffset expiresAt)
    {
        if (state.State.TokenVersion < 0) throw Guard.Forbidden("erased");
        if (!HasLiveConsultations()) await FileForRetention();
        if (!await GrainFactory.GetGrain<IResumeCodeGrain>(codeKey).Bind(this.GetPrimaryKeyString(), expiresAt)) return false;
        // One code at a time: a new one revokes the one before.
        if (state.State.ResumeCodeKey is { } previous && previous != codeKey) await GrainFactory.GetGrain<IResumeCodeGrain>(previous).Revoke();
        state.State.ResumeCodeKey = codeKey;
        await state.WriteStateAsync();
        return true;
    }

    public async Task RevokeResumeCode()
    {
        if (state.State.ResumeCodeKey is not { } key) return;
        await GrainFactory.GetGrain<IResumeCodeGrain>(key).Revoke();
        state.State.ResumeCodeKey = null;
        await state.WriteStateAsync();
    }
}

/// <summary>Durable record of one resume code (keyed by the code's keyed hash).</summary>
public sealed class ResumeCodeState
{
    public string? WorkerId { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}

/// <summary>A resume code: bound to one worker until it expires, is used once, or is revoked.</summary>
public sealed class ResumeCodeGrain([PersistentState("resume", StorageNames.Hotline)] IPersistentState<ResumeCodeState> state, TimeProvider time)
    : Grain, IResumeCodeGrain
{
    public async Task<bool> Bind(string workerId, DateTimeOffset expiresAt)
    {
        // A live code of another worker is never taken over (a collision of random codes: the caller draws again).
        if (state.State.WorkerId is { } owner && owner != workerId && Hotline.Domain.ResumeCodes.IsLive(state.State.ExpiresAt, time.GetUtcNow())) return false;
        state.State.WorkerId = workerId;
        state.State.ExpiresAt = expiresAt;
        await state.WriteStateAsync();
        return true;
    }

    public async Task<string?> Redeem()
    {
        var workerId = state.State.WorkerId;
        if (workerId is null) return null;
        var live = Hotline.Domain.ResumeCodes.IsLive(state.State.ExpiresAt, time.GetUtcNow());
        // Used once: gone after this whether it was still live or not.
        await state.ClearStateAsync();
        return live ? workerId : null;
    }

    public async Task Revoke()
    {
        if (state.State.WorkerId is null) return;
        await state.ClearStateAsync();
    }
}
