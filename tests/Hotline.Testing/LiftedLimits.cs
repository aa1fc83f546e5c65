namespace Hotline.Testing;

/// <summary>
/// The abuse and flood limits lifted for a test or tool run: every simulated client comes from 127.0.0.1, so the
/// per-address limits (and, under load or fuzzing, the per-connection ones) would stop the run before it tests anything.
/// One list for the cluster test processes, the in-process test hosts, the fuzzer and the load generator (which links
/// this file: it does not reference the test library).
/// </summary>
public static class LiftedLimits
{
    /// <summary>As configuration keys (<c>Hotline:RateLimits:RestBurst</c>).</summary>
    public static IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Hotline:Limits:MaxOpenPerAddress"] = "100000000",
        ["Hotline:RateLimits:LoginsPerAddressPerMinute"] = "100000000",
        ["Hotline:RateLimits:WorkerTokensPerAddressPerMinute"] = "100000000",
        ["Hotline:RateLimits:ResumePerAddressPerMinute"] = "100000000",
        ["Hotline:RateLimits:ConnectionPerSecond"] = "100000",
        ["Hotline:RateLimits:ConnectionBurst"] = "100000",
        ["Hotline:RateLimits:UserPerSecond"] = "100000",
        ["Hotline:RateLimits:UserBurst"] = "100000",
        ["Hotline:RateLimits:RestPerSecond"] = "100000",
        ["Hotline:RateLimits:RestBurst"] = "100000",
    };

    /// <summary>As environment variables of a child process (<c>Hotline__RateLimits__RestBurst</c>).</summary>
    public static IEnumerable<KeyValuePair<string, string>> Environment =>
        Settings.Select(s => KeyValuePair.Create(s.Key.Replace(":", "__", StringComparison.Ordinal), s.Value));
}
