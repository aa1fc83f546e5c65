using System.Threading.RateLimiting;

namespace Hotline.Silo.Security;

/// <summary>Flood limits (section <c>Hotline:RateLimits</c>): per hub connection, per user across connections, per user on REST.</summary>
public sealed class RateLimitOptions
{
    public int ConnectionPerSecond { get; set; } = 20;
    public int ConnectionBurst { get; set; } = 40;
    public int UserPerSecond { get; set; } = 30;
    public int UserBurst { get; set; } = 60;
    public int RestPerSecond { get; set; } = 20;
    public int RestBurst { get; set; } = 40;
    /// <summary>
    /// The telephone gateway's REST calls (intake, polls, hangups): one client speaks for every caller on the line, so it
    /// has a bucket of its own, sized for hundreds of callers on hold (a poll every 5 s each), not one person's.
    /// </summary>
    public int GatewayPerSecond { get; set; } = 500;
    public int GatewayBurst { get; set; } = 1000;
    /// <summary>Worker tokens per client address per minute (<c>POST /api/auth/worker</c>).</summary>
    public int WorkerTokensPerAddressPerMinute { get; set; } = 30;
    /// <summary>Login attempts per client address per minute (<c>POST /api/auth/login</c>).</summary>
    public int LoginsPerAddressPerMinute { get; set; } = 20;
    /// <summary>Resume codes issued or redeemed per client address per minute (<c>/api/auth/resume</c>, <c>/api/workers/me/resume-code</c>).</summary>
    public int ResumePerAddressPerMinute { get; set; } = 10;
}

/// <summary>Token buckets per hub user, shared by all of the user's connections on this silo.</summary>
public sealed class HubUserLimiter(Microsoft.Extensions.Options.IOptions<RateLimitOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(user =>
        RateLimitPartition.GetTokenBucketLimiter(user, _ => Bucket(options.Value.UserPerSecond, options.Value.UserBurst)));

    public bool TryAcquire(string user)
    {
        using var lease = _limiter.AttemptAcquire(user);
        return lease.IsAcquired;
    }

    public static TokenBucketRateLimiterOptions Bucket(int perSecond, int burst) => new()
    {
        TokenLimit = burst,
        TokensPerPeriod = perSecond,
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    public void Dispose() => _limiter.Dispose();
}
