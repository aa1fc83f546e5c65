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
/// failures, capped), counted cluster-wide in <see cref="ILoginThrottleGrain"/>; and a bounded queue in front of this
/// host's password hashing so a login flood cannot take every CPU.
/// </summary>
public sealed class LoginGuard(Microsoft.Extensions.Options.IOptions<SecurityOptions> options, IGrainFactory grains)
{
    private readonly SemaphoreSlim _hashing = new(options.Value.ConcurrentLogins, options.Value.ConcurrentLogins);
    private int _waiting;
    private long _verified;

    /// <summary>Password verifications run so far: an unknown username must cost one, exactly as a known one.</summary>
    public long Verifications => Interlocked.Read(ref _verified);

    /// <summary>Verifies a password in the bounded queue (always one full PBKDF2 run, whatever the hash).</summary>
    public Task<bool> Verify(string password, string hash, CancellationToken cancellationToken)
        => Hash(() =>
        {
            Interlocked.Increment(ref _verified);
            return PasswordHasher.Verify(password, hash);
        }, cancellationToken);

    private ILoginThrottleGrain Throttle(string username)
        => grains.GetGrain<ILoginThrottleGrain>("login-" + Convert.ToHexStringLower(
            System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(username.ToLowerInvariant())))[..32]);

    /// <summary>How long this username must wait before its next attempt, or null.</summary>
    public Task<TimeSpan?> RetryAfter(string username) => Throttle(username).RetryAfter();

    public Task Failed(string username) => Throttle(username).Failed(options.Value.FreeLoginFailures, options.Value.MaxLoginBackoffSeconds);

    public Task Succeeded(string username) => Throttle(username).Succeeded();

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
