using System.Diagnostics;
using Hotline.Silo.Api;

namespace Hotline.Api.Tests;

/// <summary>
/// Issue 14: an idempotent call's attempt ends after <see cref="GrainCalls.IdempotentAttempt"/> (shared once-a-second
/// deadlines, no timer per call) or at once when the gateway it went through is lost, and is then repeated.
/// </summary>
public sealed class GrainCallsTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task An_unanswered_attempt_is_repeated_after_the_attempt_deadline()
    {
        using var calls = new GrainCalls();
        var attempts = 0;
        var clock = Stopwatch.StartNew();
        // The first attempt never answers (a call lost with its silo); the second does.
        var result = await calls.RunIdempotent(() => Interlocked.Increment(ref attempts) == 1 ? new TaskCompletionSource<int>().Task : Task.FromResult(42))
            .WaitAsync(Wait);
        Assert.Equal((42, 2), (result, attempts));
        Assert.True(clock.Elapsed >= GrainCalls.IdempotentAttempt - TimeSpan.FromMilliseconds(100), $"repeated after {clock.Elapsed}, before the deadline");
    }

    [Fact]
    public async Task AbandonInFlight_repeats_every_waiting_attempt_at_once()
    {
        using var calls = new GrainCalls();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = 0;
        var clock = Stopwatch.StartNew();
        var call = calls.RunIdempotent(() =>
        {
            if (Interlocked.Increment(ref attempts) > 1) return Task.FromResult("second");
            started.TrySetResult();
            return new TaskCompletionSource<string>().Task;
        });
        await started.Task.WaitAsync(Wait);
        calls.AbandonInFlight();
        Assert.Equal("second", await call.WaitAsync(Wait));
        Assert.Equal(2, attempts);
        // Well before the attempt deadline: the abandon, not the deadline, ended the first attempt.
        Assert.True(clock.Elapsed < GrainCalls.IdempotentAttempt, $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_call_that_answers_is_not_repeated_and_its_failure_is_its_own()
    {
        using var calls = new GrainCalls();
        var attempts = 0;
        Assert.Equal(7, await calls.RunIdempotent(async () => { Interlocked.Increment(ref attempts); await Task.Yield(); return 7; }));
        await Assert.ThrowsAsync<InvalidOperationException>(() => calls.RunIdempotent<int>(async () =>
        {
            Interlocked.Increment(ref attempts);
            await Task.Yield();
            throw new InvalidOperationException("not retryable");
        }));
        Assert.Equal(2, attempts);
    }
}
