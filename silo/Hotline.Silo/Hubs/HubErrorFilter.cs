using System.Threading.RateLimiting;
using Hotline.Grains;
using Hotline.Abstractions;
using Hotline.Silo.Api;
using Hotline.Silo.Security;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Hotline.Silo.Hubs;

/// <summary>
/// Every hub call passes here: flood limits per connection and per user, then stable error codes. A failure becomes a
/// <see cref="HubException"/> whose message starts with the code (<c>forbidden: not a participant</c>).
/// </summary>
public sealed class HubErrorFilter(HubUserLimiter users, IOptions<RateLimitOptions> limits, TokenRevocation revocation,
    BackplaneHealth backplane, ILogger<HubErrorFilter> logger) : IHubFilter
{
    private const string BucketKey = "hotline.bucket";
    private const string TokenKey = "hotline.token";
    private const string OrderKey = "hotline.order";

    /// <summary>The last call of a connection to have started: the next one is handed on only after it.</summary>
    private sealed class CallOrder
    {
        private Task _last = Task.CompletedTask;

        /// <summary>Makes <paramref name="started"/> the last, and returns the one before it.</summary>
        public Task Next(Task started) => Interlocked.Exchange(ref _last, started);
    }

    /// <summary>The connection's caller, built once at connect time (the principal does not change on a connection).</summary>
    internal const string CallerKey = "hotline.caller";

    /// <summary>Calls that only read: served while the Redis backplane is down (the others answer unavailable).</summary>
    private static readonly HashSet<string> Reads = ["JoinConsultation", "GetMyConsultations", "GetMe", "GetQueue", "GetNotes", "GetMetrics"];

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        // Calls of a connection may run side by side (HubsExtensions), but each still starts in the order it arrived:
        // it waits until the one before it has been handed on (e.g. its grain call issued), so two messages sent without
        // waiting for the first's ack keep their order. Taken synchronously, while SignalR starts calls in arrival order.
        // One method, not a wrapper around the checks: every hub call passes here, and each async layer costs a state
        // machine per call (docs/perf-message-path.md).
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var before = context.Context.Items.TryGetValue(OrderKey, out var order) && order is CallOrder calls ? calls.Next(started.Task) : Task.CompletedTask;
        try
        {
            if (MessageStageLog.Current is not null && context.HubMethodName == nameof(WorkerHub.SendMessage) && context.HubMethodArguments.Count > 1)
                MessageStageLog.Mark(MessageStageLog.Filter, context.HubMethodArguments[1] as string);
            // Before any check that may refuse this call: a refused call hands on to the next one only after the one before
            // it was handed on, or a later call could overtake an earlier one still in its token check.
            if (!before.IsCompleted) await before;
            var bucket = (TokenBucketRateLimiter)context.Context.Items[BucketKey]!;
            using (var lease = bucket.AttemptAcquire())
            {
                if (!lease.IsAcquired || !users.TryAcquire(context.Context.UserIdentifier ?? context.Context.ConnectionId))
                    throw new HubException("rate_limited: too many requests, slow down");
            }
            // A revoked token (erased worker, disabled or re-passworded lawyer) ends its open connections at the next call.
            if (context.Context.User is { } user && !await revocation.IsCurrent(
                    context.Context.Items.TryGetValue(TokenKey, out var read) && read is TokenClaims token ? token : TokenRevocation.ClaimsOf(user)))
            {
                // Answer first, then close the connection (aborting now would swallow the answer); reconnecting fails with 401.
                var connection = context.Context;
                _ = Task.Delay(TimeSpan.FromMilliseconds(200)).ContinueWith(_ => connection.Abort(), TaskScheduler.Default);
                throw new HubException("unauthorized: token revoked");
            }
            if (backplane.Down && !Reads.Contains(context.HubMethodName))
                throw new HubException("unavailable: the message bus (Redis) does not answer, try again");
            var call = next(context);
            started.TrySetResult();
            return await call;
        }
        catch (HotlineException e)
        {
            // An expected client error: one quiet line, no stack trace (SignalR's own error log of it is filtered out).
            logger.LogInformation("Hub call {Method} refused: {Code}", context.HubMethodName, e.Code);
            throw new HubException($"{e.Code}: {e.Message}");
        }
        catch (HubException)
        {
            throw;
        }
        catch (Exception e) when (ErrorCodes.IsUnavailable(e))
        {
            logger.LogWarning(e, "Hub call {Method} failed: service unavailable", context.HubMethodName);
            throw new HubException("unavailable: try again");
        }
        catch (Exception e)
        {
            logger.LogError(e, "Hub call {Method} failed", context.HubMethodName);
            throw new HubException("internal_error: unexpected failure");
        }
        finally
        {
            started.TrySetResult();
        }
    }

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        context.Context.Items[BucketKey] = new TokenBucketRateLimiter(HubUserLimiter.Bucket(limits.Value.ConnectionPerSecond, limits.Value.ConnectionBurst));
        context.Context.Items[OrderKey] = new CallOrder();
        if (context.Context.User is { } user)
        {
            var token = TokenRevocation.ClaimsOf(user);
            context.Context.Items[TokenKey] = token;
            if (token.Subject is not null) context.Context.Items[CallerKey] = user.ToCaller();
        }
        try
        {
            await next(context);
        }
        catch (HotlineException e)
        {
            // A refused connect (a lawyer disabled a moment ago): one quiet line, and the client's close message carries the
            // stable code (SignalR passes a HubException's message on).
            logger.LogInformation("Hub connection refused: {Code}", e.Code);
            throw new HubException($"{e.Code}: {e.Message}");
        }
        catch (Exception e) when (e is not HubException)
        {
            // SignalR's own logs of this are filtered out (see HubsExtensions), so unexpected failures are logged here.
            logger.LogError(e, "Hub connection setup failed");
            throw;
        }
    }

    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        try
        {
            await next(context, exception);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // SignalR's own log of this is filtered out (see HubsExtensions): a disconnect the lawyer's grain did not hear
            // of is logged here (its lease lapses it later).
            logger.LogWarning(e, "Hub disconnect handling failed");
            throw;
        }
        finally
        {
            (context.Context.Items[BucketKey] as IDisposable)?.Dispose();
        }
    }
}
