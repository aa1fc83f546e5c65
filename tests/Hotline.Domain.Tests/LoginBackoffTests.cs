namespace Hotline.Domain.Tests;

public sealed class LoginBackoffTests
{
    [Theory]
    [InlineData(1, 0)]
    [InlineData(5, 0)]
    [InlineData(6, 1)]
    [InlineData(7, 2)]
    [InlineData(10, 16)]
    [InlineData(15, 512)]
    [InlineData(16, 900)]
    [InlineData(1000, 900)]
    public void Free_attempts_then_a_doubling_wait_capped(int failures, int seconds)
        => Assert.Equal(TimeSpan.FromSeconds(seconds), LoginBackoff.WaitAfter(failures, freeFailures: 5, maxBackoffSeconds: 900));

    [Theory]
    [InlineData(900, 3599, false)]
    [InlineData(900, 3601, true)]
    [InlineData(3600, 7199, false)]
    [InlineData(3600, 7201, true)]
    public void Failures_are_forgotten_after_twice_the_longest_wait_and_at_least_an_hour(int maxBackoffSeconds, int quietSeconds, bool forgotten)
    {
        var last = new DateTimeOffset(2026, 11, 29, 8, 0, 0, TimeSpan.Zero);
        Assert.Equal(forgotten, LoginBackoff.Forgotten(last, last.AddSeconds(quietSeconds), maxBackoffSeconds));
    }
}
