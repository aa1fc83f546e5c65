namespace Hotline.Domain.Tests;

public sealed class GraceRulesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 2, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(15);

    [Fact]
    public void After_a_restart_the_grace_period_counts_from_when_the_lawyer_was_last_seen()
    {
        // Seen 10 s before the crash, restarted 60 s later: 120 s grace (+30 s precision) ends 80 s after the restart, not 120.
        var seen = T0;
        var restart = T0.AddSeconds(70);
        Assert.Equal(seen.AddSeconds(30 + 120), GraceRules.DeadlineOnActivation(seen, restart, 120, Settle));
        // Long gone: the deadline passed while the platform was down, so it fires once live connections had time to re-assert.
        Assert.Equal(T0.AddHours(1).Add(Settle), GraceRules.DeadlineOnActivation(seen, T0.AddHours(1), 120, Settle));
        // A grace period shorter than the settle time is never stretched by it.
        Assert.Equal(T0.AddHours(1).AddSeconds(3), GraceRules.DeadlineOnActivation(seen, T0.AddHours(1), 3, Settle));
        // Never seen (state from before this was recorded): the whole grace period from now.
        Assert.Equal(restart.AddSeconds(120), GraceRules.DeadlineOnActivation(null, restart, 120, Settle));
    }

    [Fact]
    public void The_last_seen_instant_is_rewritten_at_most_every_quarter_of_the_grace_period_between_1_and_30_seconds()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), GraceRules.SeenPrecision(120));
        Assert.Equal(TimeSpan.FromSeconds(1), GraceRules.SeenPrecision(3));
        Assert.True(GraceRules.ShouldRecordSeen(null, T0, 120));
        Assert.False(GraceRules.ShouldRecordSeen(T0, T0.AddSeconds(29), 120));
        Assert.True(GraceRules.ShouldRecordSeen(T0, T0.AddSeconds(30), 120));
        Assert.True(GraceRules.ShouldRecordSeen(T0, T0.AddSeconds(-5), 120)); // a clock that went back
        // The deadline is never earlier than the true "last seen + grace", whatever the lag of the recorded instant.
        var recorded = T0;
        var trueLastSeen = T0.AddSeconds(29);
        Assert.True(GraceRules.DeadlineOnActivation(recorded, T0.AddSeconds(40), 120, Settle) >= trueLastSeen.AddSeconds(120));
    }
}
