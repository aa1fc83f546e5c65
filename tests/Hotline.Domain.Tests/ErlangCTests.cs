namespace Hotline.Domain.Tests;

public class ErlangCTests
{
    [Fact]
    public void CheckValues()
    {
        Assert.Equal(4.0 / 9.0, ErlangC.ProbabilityOfWait(3, 2), 12);
        Assert.Equal(0.2387, ErlangC.ProbabilityOfWait(55, 48), 4);
        Assert.Equal(8.18, ErlangC.MeanWait(55, 48, 240), 2);
        Assert.Equal(0.846, ErlangC.ServiceLevel(55, 48, 240, 15), 3);
        Assert.Equal(0.3851, ErlangC.ProbabilityOfWait(20, 17), 4);
        Assert.Equal(0.1284, ErlangC.MeanWait(20, 17, 1), 4);
    }

    [Fact]
    public void EdgeCases()
    {
        Assert.Equal(1, ErlangC.ProbabilityOfWait(3, 3));
        Assert.Equal(1, ErlangC.ProbabilityOfWait(3, 5));
        Assert.Equal(0, ErlangC.ProbabilityOfWait(3, 0));
        Assert.Equal(double.PositiveInfinity, ErlangC.MeanWait(3, 4, 100));
        Assert.Equal(0, ErlangC.ServiceLevel(3, 4, 100, 20));
        // Large N: stable, no overflow.
        var c = ErlangC.ProbabilityOfWait(5000, 4900);
        Assert.InRange(c, 0, 1);
        Assert.False(double.IsNaN(c));
    }

    [Fact]
    public void ServersNeeded_IsSmallestMeetingTarget()
    {
        // 0.2 arrivals/s, 240 s => A = 48.
        var n = ErlangC.ServersNeeded(0.2, 240, 0.8, 20);
        Assert.True(n > 48);
        Assert.True(ErlangC.ServiceLevel(n, 48, 240, 20) >= 0.8);
        Assert.True(n == 49 || ErlangC.ServiceLevel(n - 1, 48, 240, 20) < 0.8);
        Assert.Equal(0, ErlangC.ServersNeeded(0, 240, 0.8, 20));
        Assert.Equal(1, ErlangC.ServersNeeded(1.0 / 3600, 60, 0.8, 20));
    }
}
