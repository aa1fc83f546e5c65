using Hotline.Abstractions;
using Hotline.Storage;

namespace Hotline.Silo.Api;

/// <summary>Which failures mean "try again later" (code <c>unavailable</c>).</summary>
public static class ErrorCodes
{
    // A database or Redis that cannot be reached surfaces from paths outside the storage retries too (reminders, reads
    // of a fresh activation): a transient Npgsql failure, a refused socket, a Redis connection failure. Across silos
    // only StorageUnavailableException travels (it is Orleans-serializable, its cause included): the grain storage
    // and message store wrap every transient database failure in it. A router activation that another one moved past
    // fails its callers with RouterJournalConflictException (serializable too) while it makes way: the next call reaches
    // the next activation.
    public static bool IsUnavailable(Exception e) => e is StorageUnavailableException or SiloUnavailableException or RouterJournalConflictException
        or OrleansMessageRejectionException or TimeoutException or Polly.Timeout.TimeoutRejectedException
        or System.Net.Sockets.SocketException or Npgsql.NpgsqlException { IsTransient: true }
        or StackExchange.Redis.RedisConnectionException
        || (e.InnerException is { } inner && IsUnavailable(inner));
}
