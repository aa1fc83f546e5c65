using System.Collections.Concurrent;
using Hotline.Abstractions;

namespace Hotline.Silo.Security;

/// <summary>Login protection settings (section <c>Hotline:Security</c>).</summary>
public sealed class SecurityOptions
{
    /// <summary>PBKDF2-SHA256 iterations for new password hashes (OWASP: 600,000).</summary>
    public int PasswordIterations { get; set; } = PasswordHasher.DefaultIterations;
    /// <summary>Failed logins of one username before its backoff starts.</summary>
    public int FreeLoginFailures { get; set; } = 5;
    /// <summary>Longest backoff of one username, in seconds.</summary>
    public int MaxLoginBackoffSeconds { get; set; } = 900;
    /// <summary>Password hashes computed at once; more wait in a queue of <see cref="MaxQueuedLogins"/>.</summary>
    public int ConcurrentLogins { get; set; } = Math.Max(2, Environment.ProcessorCount);
    /// <summary>Logins waiting for a hashing slot; beyond it a login is refused with <c>unavailable</c>.</summary>
    public int MaxQueuedLogins { get; set; } = 64;
}

/// <summary>
/// Per-username backoff after failed logins (doubling from 1 s after <see cref="SecurityOptions.FreeLoginFailures"/>
/// failures, capped), and a bounded queue in front of password hashing so a login flood cannot take every CPU. Per silo:
/// each silo keeps its own counters (a determined attacker spreading over silos gets at most N times the attempts).
/// </summary>
public sealed class LoginGuard(Microsoft.Extensions.Options.IOptions<SecurityOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (int Failures, DateTimeOffset BlockedUntil)> _failures = new(StringComparer.OrdinalIgnoreCase);
    private readonly SemaphoreSlim _hashing = new(options.Value.ConcurrentLogins, options.Value.ConcurrentLogins);
    private int _waiting;

    /// <summary>How long this username must wait before its next attempt, or null.</summary>
    public TimeSpan? RetryAfter(string username)
    {
        if (!_failures.TryGetValue(username, out var f)) return null;
        var left = f.BlockedUntil - time.GetUtcNow();
        return left > TimeSpan.Zero ? left : null;
    }

    public void Failed(string username)
    {
        var o = options.Value;
        if (_failures.Count > 100_000) _failures.Clear();
        _failures.AddOrUpdate(username, _ => (1, default), (_, f) =>
        {
            var failures = f.Failures + 1;
            var over = failures - o.FreeLoginFailures;
            if (over <= 0) return (failures, default);
            var seconds = Math.Min(o.MaxLoginBackoffSeconds, Math.Pow(2, Math.Min(over - 1, 20)));
            return (failures, time.GetUtcNow() + TimeSpan.FromSeconds(seconds));
        });
    }

    public void Succeeded(string username) => _failures.TryRemove(username, out _);

    /// <summary>Runs password work in the bounded queue; <c>unavailable</c> when the queue is full.</summary>
    public async Task<T> Hash<T>(Func<T> work, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _waiting) > options.Value.MaxQueuedLogins + options.Value.ConcurrentLogins)
        {
            Interlocked.Decrement(ref _waiting);
            throw new HotlineException(HotlineException.Codes.Unavailable, "too many logins at once, try again in a few seconds");
        }
        try
        {
            await _hashing.WaitAsync(cancellationToken);
            try { return work(); }
            finally { _hashing.Release(); }
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }
}
