namespace Hotline.Silo.Api;

/// <summary>Which failures mean "try again later" (code <c>unavailable</c>).</summary>
public static class ErrorCodes
{
    public static bool IsUnavailable(Exception e) => e is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException
        or Polly.Timeout.TimeoutRejectedException
        || e.GetType().Name.Contains("Unavailable", StringComparison.Ordinal)
        || (e.InnerException is { } inner && IsUnavailable(inner));
}
