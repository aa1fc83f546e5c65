namespace Hotline.Silo.Api;

/// <summary>Which failures mean "try again later" (code <c>unavailable</c>).</summary>
public static class ErrorCodes
{
    private static readonly string[] UnavailableTypes = ["Unavailable", "Npgsql", "StackExchange.Redis", "SocketException", "Timeout"];

    // A database or Redis that cannot be reached surfaces from paths outside the storage retries too (reminders, reads
    // of a fresh activation): a transient Npgsql failure, a refused socket, a Redis connection failure.
    public static bool IsUnavailable(Exception e) => e is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException
        or Polly.Timeout.TimeoutRejectedException or System.Net.Sockets.SocketException or Npgsql.NpgsqlException { IsTransient: true }
        or StackExchange.Redis.RedisConnectionException
        || e.GetType().Name.Contains("Unavailable", StringComparison.Ordinal)
        // Such a failure in another silo whose exception type has no Orleans codec arrives as CodecNotFoundException
        // naming that type (seen with StorageUnavailableException while PostgreSQL was down).
        || (e is Orleans.Serialization.CodecNotFoundException && UnavailableTypes.Any(t => e.Message.Contains(t, StringComparison.Ordinal)))
        || (e.InnerException is { } inner && IsUnavailable(inner));
}
