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
}
