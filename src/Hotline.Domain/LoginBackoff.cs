namespace Hotline.Domain;

/// <summary>Failed-login backoff: free attempts, then a wait doubling from 1 s, capped.</summary>
public static class LoginBackoff
{
    /// <summary>The wait after the <paramref name="failures"/>-th consecutive failure (zero while attempts are free).</summary>
    public static TimeSpan WaitAfter(int failures, int freeFailures, int maxBackoffSeconds)
    {
        var over = failures - freeFailures;
        if (over <= 0) return TimeSpan.Zero;
        return TimeSpan.FromSeconds(Math.Min(maxBackoffSeconds, Math.Pow(2, Math.Min(over - 1, 20))));
    }

    /// <summary>
    /// Whether past failures are old enough to forget: nothing failed for twice the longest wait (at least an hour). Then
    /// the free attempts come back, so an owner who mistyped long ago is not held at the longest wait for ever.
    /// </summary>
    public static bool Forgotten(DateTimeOffset lastFailureAt, DateTimeOffset now, int maxBackoffSeconds)
        => now - lastFailureAt > TimeSpan.FromSeconds(Math.Max(3600, 2.0 * maxBackoffSeconds));
}
