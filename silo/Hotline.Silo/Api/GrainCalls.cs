using Polly;
using Polly.Retry;

namespace Hotline.Silo.Api;

/// <summary>
/// Polly pipeline around grain calls from hubs and endpoints: retries with backoff when the silo hosting a grain is
/// gone (<see cref="SiloUnavailableException"/>) or a message was rejected while the cluster re-forms.
/// <see cref="RunIdempotent{T}"/> also retries a <see cref="TimeoutException"/> (a call that was in flight to a silo
/// that died may or may not have run): only for calls that are safe to repeat, such as <c>SendMessage</c> (deduplicated
/// by clientMessageId), <c>JoinConsultation</c> and reads. Each attempt of such a call waits at most
/// <see cref="IdempotentAttempt"/>, and <see cref="AbandonInFlight"/> stops waiting for all of them at once: on a front, a
/// call sent through a gateway that died is never answered (only the 15 s response timeout would end it), so it is
/// repeated through another gateway instead.
/// </summary>
public sealed class GrainCalls : IDisposable
{
    /// <summary>Longest wait for one attempt of an idempotent call before it is repeated (up to a second more, see <see cref="AttemptDeadlines"/>).</summary>
    public static readonly TimeSpan IdempotentAttempt = TimeSpan.FromSeconds(5);

    private readonly ResiliencePipeline _pipeline = Build(idempotent: false);
    private readonly ResiliencePipeline _idempotent = Build(idempotent: true);
    private readonly AttemptDeadlines _deadlines = new(IdempotentAttempt);

    /// <summary>Abandons the current attempt of every idempotent call in flight; each is repeated at once.</summary>
    public void AbandonInFlight() => _deadlines.CancelAll();

    /// <summary>Stops the deadline timer.</summary>
    public void Dispose() => _deadlines.Dispose();

    private static ResiliencePipeline Build(bool idempotent) => new ResiliencePipelineBuilder()
        .AddTimeout(TimeSpan.FromSeconds(30))
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && IsRetryable(e, idempotent)),
            // At most 1 s between attempts, so a call picks up the re-activated grain soon after a dead silo is declared
            // dead (2-5 s); 15 attempts keep the window at about 12 s.
            MaxRetryAttempts = 15,
            Delay = TimeSpan.FromMilliseconds(200),
            BackoffType = DelayBackoffType.Exponential,
            MaxDelay = TimeSpan.FromSeconds(1),
            UseJitter = true,
        })
        .Build();

    /// <summary>Failures a dead or departing silo produces; a timeout only when the call may be repeated.</summary>
    public static bool IsRetryable(Exception e, bool idempotent) => e switch
    {
        SiloUnavailableException or OrleansMessageRejectionException => true,
        TimeoutException => idempotent,
        _ => e.InnerException is { } inner && IsRetryable(inner, idempotent),
    };

    // Each call is tried once directly (the grain call has its own response timeout): the pipeline, with its timeout
    // and retries, is entered only after a retryable failure, so the common path allocates no resilience context.
    public async Task<T> Run<T>(Func<Task<T>> call, CancellationToken cancellationToken = default)
    {
        try { return await call(); }
        catch (Exception e) when (IsRetryable(e, idempotent: false) && !cancellationToken.IsCancellationRequested) { }
        return await _pipeline.ExecuteAsync(async _ => await call(), cancellationToken);
    }

    public async Task Run(Func<Task> call, CancellationToken cancellationToken = default)
    {
        try { await call(); return; }
        catch (Exception e) when (IsRetryable(e, idempotent: false) && !cancellationToken.IsCancellationRequested) { }
        await _pipeline.ExecuteAsync(async _ => await call(), cancellationToken);
    }

    /// <summary>As <see cref="Run{T}"/>, and a timed-out call is repeated too. Only for calls that are safe to repeat.</summary>
    public async Task<T> RunIdempotent<T>(Func<Task<T>> call, CancellationToken cancellationToken = default)
    {
        try { return await Attempt(call); }
        catch (Exception e) when (IsRetryable(e, idempotent: true) && !cancellationToken.IsCancellationRequested) { }
        return await _idempotent.ExecuteAsync(async _ => await Attempt(call), cancellationToken);
    }

    /// <summary>One attempt: at most <see cref="IdempotentAttempt"/>, and abandoned by <see cref="AbandonInFlight"/>.</summary>
    private async Task<T> Attempt<T>(Func<Task<T>> call)
    {
        // The deadline is taken before the call goes out: an AbandonInFlight between sending and taking it would
        // otherwise hand this attempt a fresh deadline and let a call through a lost gateway wait the full attempt.
        var (deadline, epoch) = _deadlines.Current;
        var task = call();
        if (task.IsCompleted) return await task;
        try
        {
            return await task.WaitAsync(deadline);
        }
        catch (OperationCanceledException e) when (e.CancellationToken == deadline)
        {
            throw new TimeoutException(_deadlines.Epoch != epoch
                ? "abandoned: the gateway it went through was lost"
                : $"no answer within {IdempotentAttempt.TotalSeconds:0} s");
        }
    }

    /// <summary>
    /// Attempt deadlines without a timer per call: a timer per call (<c>WaitAsync(timeout)</c>) took the runtime's timer
    /// queue lock twice per hub call, which the profile of the message path showed contended. Instead, one timer ticks
    /// every second; an attempt takes the token of the current second, which is cancelled
    /// <see cref="IdempotentAttempt"/> later (so an attempt waits between that and a second more).
    /// <see cref="CancelAll"/> cancels every token handed out (the abandon of a lost gateway).
    /// </summary>
    private sealed class AttemptDeadlines : IDisposable
    {
        private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);
        private readonly Lock _gate = new();
        private readonly CancellationTokenSource[] _ring;
        private readonly Timer _timer;
        private int _current;
        private int _epoch;
        // What Current hands out, replaced under the gate: every hub call reads it, so the read takes no lock.
        private volatile Slot _slot;

        private sealed record Slot(CancellationToken Token, int Epoch);

        public AttemptDeadlines(TimeSpan wait)
        {
            // Slot i is current for one tick and cancelled when the ring comes back to it: ring length - 1 ticks later.
            _ring = new CancellationTokenSource[(int)Math.Ceiling(wait / Tick) + 1];
            for (var i = 0; i < _ring.Length; i++) _ring[i] = new CancellationTokenSource();
            _slot = new Slot(_ring[0].Token, 0);
            _timer = new Timer(static s => ((AttemptDeadlines)s!).Advance(), this, Tick, Tick);
        }

        /// <summary>Bumped by <see cref="CancelAll"/>: tells an abandoned attempt from a timed-out one.</summary>
        public int Epoch => Volatile.Read(ref _epoch);

        public (CancellationToken Token, int Epoch) Current
        {
            get
            {
                var slot = _slot;
                return (slot.Token, slot.Epoch);
            }
        }

        private void Advance()
        {
            CancellationTokenSource expired;
            lock (_gate)
            {
                _current = (_current + 1) % _ring.Length;
                expired = _ring[_current];
                _ring[_current] = new CancellationTokenSource();
                _slot = new Slot(_ring[_current].Token, _epoch);
            }
            expired.Cancel();
        }

        public void CancelAll()
        {
            CancellationTokenSource[] expired;
            lock (_gate)
            {
                _epoch++;
                expired = [.. _ring];
                for (var i = 0; i < _ring.Length; i++) _ring[i] = new CancellationTokenSource();
                _slot = new Slot(_ring[_current].Token, _epoch);
            }
            foreach (var source in expired) source.Cancel();
        }

        public void Dispose() => _timer.Dispose();
    }
}
