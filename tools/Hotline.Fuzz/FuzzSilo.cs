namespace Hotline.Fuzz;

/// <summary>Settings of a silo started for fuzzing: flood limits far above what the fuzzer sends (it is one client on
/// 127.0.0.1), so that hostile input reaches the endpoints instead of the rate limiter.</summary>
public static class FuzzSilo
{
    public static readonly IDictionary<string, string> Settings = new Dictionary<string, string>
    {
        ["Hotline__Seed__DemoLawyers"] = "false",
        ["Hotline__Limits__MaxOpenPerAddress"] = "100000000",
        ["Hotline__RateLimits__LoginsPerAddressPerMinute"] = "100000000",
        ["Hotline__RateLimits__WorkerTokensPerAddressPerMinute"] = "100000000",
        ["Hotline__RateLimits__ConnectionPerSecond"] = "100000",
        ["Hotline__RateLimits__ConnectionBurst"] = "100000",
        ["Hotline__RateLimits__UserPerSecond"] = "100000",
        ["Hotline__RateLimits__UserBurst"] = "100000",
        ["Hotline__RateLimits__RestPerSecond"] = "100000",
        ["Hotline__RateLimits__RestBurst"] = "100000",
        ["Hotline__Security__PasswordIterations"] = "1000",
        ["Hotline__Metrics__ScrapeKey"] = "fuzz-scrape-key-0123456789",
    };
}
