using System.Collections.Concurrent;
using System.Security.Claims;
using Hotline.Abstractions;
using Hotline.Silo.Security;

namespace Hotline.Silo.Api;

/// <summary>
/// Token revocation: every worker and lawyer token carries its owner's token version (claim <c>tv</c>); the version
/// lives in the owner's grain and is bumped on erase (<c>IWorkerGrain.Erase</c>), password change or disable
/// (<c>ILawyerGrain.RevokeTokens</c>). Each request and each hub call checks it, through a per-silo cache of
/// <c>Hotline:Security:TokenCheckSeconds</c> (default 2 s): the silo that revoked forgets its entry at once, the others
/// within that time.
/// </summary>
public sealed class TokenRevocation(IGrainFactory grains, GrainCalls calls, AdminAccount admin, IConfiguration configuration, TimeProvider time,
    ILogger<TokenRevocation> logger)
{
    public const string VersionClaim = TokenService.VersionClaim;
    /// <summary>The version could not be read: the token is let through (its signature is valid).</summary>
    private const int Unknown = int.MinValue;
    private readonly ConcurrentDictionary<string, (int Version, DateTimeOffset At)> _cache = new();
    private readonly TimeSpan _ttl = TimeSpan.FromSeconds(configuration.GetValue("Hotline:Security:TokenCheckSeconds", 2.0));

    /// <summary>Whether the principal's token still carries its owner's current version.</summary>
    public ValueTask<bool> IsCurrent(ClaimsPrincipal user) => IsCurrent(ClaimsOf(user));

    /// <summary>
    /// The claims the check reads, taken from the principal once: a hub connection keeps its principal for its whole
    /// life, so the hub filter reads them at connect time instead of three claim look-ups per call.
    /// </summary>
    public static TokenClaims ClaimsOf(ClaimsPrincipal user) => new(
        user.FindFirstValue(Roles.RoleClaim), user.FindFirstValue(Roles.SubjectClaim),
        int.TryParse(user.FindFirstValue(VersionClaim), out var v) ? v : 0);

    /// <summary>
    /// Whether a token with these claims still carries its owner's current version. <paramref name="strict"/>: as
    /// <see cref="CurrentVersion"/>'s (read from the grain; an unreachable one throws instead of letting the token through).
    /// </summary>
    public async ValueTask<bool> IsCurrent(TokenClaims token, bool strict = false)
    {
        var (role, subject, claimed) = token;
        if (subject is null) return false;
        switch (role)
        {
            case Roles.Admin:
                return claimed == admin.TokenVersion;
            case Roles.Worker or Roles.Lawyer:
                var current = await CurrentVersion(role, subject, strict);
                return current == Unknown || (current >= 0 && current == claimed);
            default:
                return true;
        }
    }

    /// <summary>
    /// The owner's current version (cached briefly). <paramref name="strict"/>: read from the owner's grain, not the
    /// cache, and an unreachable grain throws (<c>unavailable</c>) instead of answering "unknown".
    /// </summary>
    public async ValueTask<int> CurrentVersion(string role, string subject, bool strict = false)
    {
        var now = time.GetUtcNow();
        (int Version, DateTimeOffset At) hit = default;
        if (!strict && _cache.TryGetValue(subject, out hit) && now - hit.At < _ttl) return hit.Version;
        try
        {
            var version = role == Roles.Worker
                ? await calls.Run(() => grains.Ref<IWorkerGrain>(subject).GetTokenVersion())
                : await calls.Run(() => grains.Ref<ILawyerGrain>(subject).GetTokenVersion());
            if (_cache.Count > 100_000) _cache.Clear();
            _cache[subject] = (version, now);
            return version;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (strict)
            {
                if (e is HotlineException) throw;
                logger.LogInformation("Token version of a {Role} unavailable for a strict check: {Error}", role, e.GetType().Name);
                throw new HotlineException(HotlineException.Codes.Unavailable, "the account cannot be checked now, try again");
            }
            // The grain cannot be reached (failover): keep serving with the last known version rather than logging
            // everyone out; an unknown one is let through (the signature is valid).
            logger.LogWarning("Token version of a {Role} unavailable: {Error}", role, e.GetType().Name);
            return hit.At != default ? hit.Version : Unknown;
        }
    }

    /// <summary>Drops the cached version after this silo revoked tokens, so this silo refuses them at once.</summary>
    public void Forget(string subject) => _cache.TryRemove(subject, out _);
}

/// <summary>The claims of a token that revocation checks: role, subject and token version.</summary>
public sealed record TokenClaims(string? Role, string? Subject, int Version);
