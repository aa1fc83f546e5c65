using Hotline.Testing;

namespace Hotline.Fuzz;

/// <summary>Settings of a silo started for fuzzing: flood limits far above what the fuzzer sends (it is one client on
/// 127.0.0.1, <see cref="LiftedLimits"/>), so that hostile input reaches the endpoints instead of the rate limiter.</summary>
public static class FuzzSilo
{
    public static IDictionary<string, string> Settings => new Dictionary<string, string>(LiftedLimits.Environment)
    {
        ["Hotline__Seed__DemoLawyers"] = "false",
        ["Hotline__Security__PasswordIterations"] = "1000",
        ["Hotline__Metrics__ScrapeKey"] = "fuzz-scrape-key-0123456789",
    };
}
