using Hotline.Silo.Hubs;

namespace Hotline.Api.Tests;

/// <summary>
/// The cluster-wide backplane rule (<see cref="BackplanePeers"/>) without Redis: a process that was down is up again only
/// once its own probe round-trips and every peer heard before or during the outage has reported its own probe working
/// twice since, or has been silent long enough to be taken as gone. Instants are seconds on the rule's monotonic clock.
/// </summary>
public sealed class BackplanePeersTests
{
    private static readonly Guid Self = Guid.NewGuid();
    private static readonly Guid B = Guid.NewGuid();
    private static readonly Guid C = Guid.NewGuid();

    private static TimeSpan At(double seconds) => TimeSpan.FromSeconds(seconds);

    /// <summary>Peers heard at 0 s (before the outage), then this process down at 2 s and 3 s (two failures).</summary>
    private static BackplanePeers DownAfterHearing(params Guid[] peers)
    {
        var rule = new BackplanePeers(Self);
        foreach (var p in peers) rule.Heard(p, probeWorks: true, At(0));
        Assert.False(rule.Probed(true, At(1)));
        Assert.False(rule.Probed(false, At(2)));
        Assert.True(rule.Probed(false, At(3)));
        Assert.True(rule.Down);
        return rule;
    }

    /// <summary><see cref="DownAfterHearing"/>, then its own probe back at 10 s: waiting for <paramref name="peers"/>.</summary>
    private static BackplanePeers WaitingFor(params Guid[] peers)
    {
        var rule = DownAfterHearing(peers);
        Assert.False(rule.Probed(true, At(10)));
        Assert.Equal(peers.Length, rule.Awaited);
        return rule;
    }

    /// <summary>The reports of <paramref name="peer"/> in order; whether the last one changed <see cref="BackplanePeers.Down"/>.</summary>
    private static bool Hear(BackplanePeers rule, Guid peer, params (double At, bool Works)[] reports)
    {
        var changed = false;
        foreach (var (at, works) in reports) changed = rule.Heard(peer, works, At(at));
        return changed;
    }

    [Fact]
    public void Two_own_failures_in_a_row_mark_it_down_one_does_not()
    {
        var rule = new BackplanePeers(Self);
        rule.Probed(false, At(0));
        rule.Probed(true, At(1));
        rule.Probed(false, At(2));
        Assert.False(rule.Down);
        Assert.True(rule.Probed(false, At(3)));
        Assert.True(rule.Down);
    }

    [Fact]
    public void Without_peers_one_own_round_trip_brings_it_back()
    {
        var rule = DownAfterHearing();
        Assert.True(rule.Probed(true, At(10)));
        Assert.False(rule.Down);
    }

    [Fact]
    public void A_peer_heard_before_the_outage_blocks_until_it_reports_its_own_probe_working_twice()
    {
        var rule = WaitingFor(B);
        Assert.True(rule.Down);
        // Its subscriptions are not back yet: it answers, reporting its own probe failing.
        rule.Heard(B, probeWorks: false, At(10.5));
        Assert.False(rule.Probed(true, At(11)));
        rule.Heard(B, probeWorks: true, At(11.5));
        // One report may be a stale one that waited in the client's queue across the restart.
        Assert.False(rule.Probed(true, At(12)));
        Assert.True(rule.Down);
        Assert.True(rule.Heard(B, probeWorks: true, At(12.5)));
        Assert.False(rule.Down);
    }

    [Fact]
    public void A_failing_report_between_two_working_ones_starts_the_count_again()
    {
        var rule = WaitingFor(B);
        Assert.False(Hear(rule, B, (10.5, true), (11.5, false), (12.5, true)));
        Assert.True(Hear(rule, B, (13.5, true)));
    }

    [Fact]
    public void Every_awaited_peer_must_confirm()
    {
        var rule = WaitingFor(B, C);
        Assert.False(Hear(rule, B, (10.2, true), (11.2, true)));
        Assert.Equal(1, rule.Awaited);
        Assert.True(Hear(rule, C, (11.4, true), (12.4, true)));
        Assert.False(rule.Down);
    }

    [Fact]
    public void Reports_heard_before_the_own_probe_came_back_do_not_count()
    {
        var rule = DownAfterHearing(B);
        // Heard while this process's own probe still fails (its subscriptions, or the peer's, may be on a Redis that died).
        Hear(rule, B, (4, true), (5, true));
        Assert.False(rule.Probed(true, At(6)));
        Assert.True(rule.Down);
        Assert.True(Hear(rule, B, (6.5, true), (7.5, true)));
    }

    [Fact]
    public void Two_own_failures_while_waiting_start_the_wait_again()
    {
        var rule = WaitingFor(B);
        rule.Heard(B, true, At(10.5));
        rule.Probed(false, At(11));
        rule.Probed(false, At(12));
        // The peer's report is heard, but this process's own probe fails: not up, whatever the peers say.
        Assert.False(rule.Heard(B, true, At(12.5)));
        Assert.True(rule.Down);
        Assert.False(rule.Probed(true, At(13)));
        rule.Heard(B, true, At(13.5));
        Assert.True(rule.Down);
        Assert.True(rule.Heard(B, true, At(14.5)));
    }

    [Fact]
    public void A_single_own_failure_while_waiting_restarts_neither_the_wait_nor_its_bound()
    {
        var rule = WaitingFor(B);
        rule.Heard(B, true, At(10.5));
        // A slow second of its own probe is not an outage, while down as while up: the peer's next report completes it.
        Assert.False(rule.Probed(false, At(11)));
        Assert.True(rule.Heard(B, true, At(11.5)));

        // A peer that keeps reporting its own probe failing, and this process's own probe slow every fifth second: the
        // longest wait still counts from the first time its own probe came back.
        rule = WaitingFor(B);
        var t = 11.0;
        for (; At(t) < At(10) + BackplanePeers.WaitAtMost; t += 1)
        {
            rule.Heard(B, false, At(t));
            Assert.False(rule.Probed((int)t % 5 != 0, At(t)));
        }
        Assert.True(rule.Probed(true, At(t)));
    }

    [Fact]
    public void A_peer_heard_just_before_the_first_failed_probe_is_waited_for()
    {
        var rule = new BackplanePeers(Self);
        rule.Heard(B, true, At(0));
        // The outage starts at 9 s: the first failure. The second, at 12 s (a probe waits up to two seconds), marks it down.
        Assert.False(rule.Probed(false, At(9)));
        Assert.True(rule.Probed(false, At(12)));
        Assert.False(rule.Probed(true, At(15)));
        Assert.Equal(1, rule.Awaited);
    }

    [Fact]
    public void Own_probe_failing_keeps_it_down_however_long()
    {
        var rule = DownAfterHearing();
        for (var t = 4; t < 100; t++) Assert.False(rule.Probed(false, At(t)));
        Assert.True(rule.Down);
    }

    [Fact]
    public void A_silent_peer_stops_blocking_after_the_bound_counted_from_the_own_recovery()
    {
        // A long outage: the peer was last heard 20 s before this process's own probe came back.
        var rule = DownAfterHearing(B);
        Assert.False(rule.Probed(true, At(20)));
        Assert.False(rule.Probed(true, At(20) + BackplanePeers.SilentFor - At(0.1)));
        Assert.True(rule.Down);
        Assert.True(rule.Probed(true, At(20) + BackplanePeers.SilentFor + At(0.1)));
        Assert.False(rule.Down);
    }

    [Fact]
    public void A_peer_that_answered_then_fell_silent_stops_blocking_after_the_bound()
    {
        var rule = WaitingFor(B);
        rule.Heard(B, false, At(11));
        Assert.False(rule.Probed(true, At(11) + BackplanePeers.SilentFor - At(0.1)));
        Assert.True(rule.Probed(true, At(11) + BackplanePeers.SilentFor + At(0.1)));
    }

    [Fact]
    public void A_peer_reporting_its_probe_failing_blocks_at_most_the_longest_wait()
    {
        var rule = WaitingFor(B);
        var t = 10.0;
        for (; At(t) < At(10) + BackplanePeers.WaitAtMost; t += 1)
        {
            rule.Heard(B, false, At(t));
            Assert.False(rule.Probed(true, At(t)));
        }
        Assert.True(rule.Probed(true, At(t)));
    }

    [Fact]
    public void A_new_peer_first_heard_after_the_own_recovery_does_not_block()
    {
        var rule = DownAfterHearing();
        rule.Probed(false, At(9));
        // Heard before the own probe comes back (while down): awaited.
        rule.Heard(C, true, At(9.5));
        Assert.False(rule.Probed(true, At(10)));
        // First heard after: it was not there during the outage (a process just started).
        rule.Heard(B, false, At(10.5));
        rule.Heard(C, true, At(10.6));
        Assert.True(rule.Heard(C, true, At(11.6)));
        Assert.False(rule.Down);
    }

    [Fact]
    public void A_peer_gone_long_before_the_outage_is_not_waited_for()
    {
        var rule = new BackplanePeers(Self);
        rule.Heard(B, true, At(0));
        rule.Probed(false, At(20));
        rule.Probed(false, At(21));
        Assert.True(rule.Down);
        Assert.True(rule.Probed(true, At(22)));
    }

    [Fact]
    public void A_peer_reporting_its_probe_failing_does_not_pull_an_up_process_down()
    {
        var rule = new BackplanePeers(Self);
        rule.Probed(true, At(0));
        for (var t = 1; t < 10; t++)
        {
            Assert.False(rule.Heard(B, false, At(t)));
            Assert.False(rule.Probed(true, At(t + 0.5)));
        }
        Assert.False(rule.Down);
    }

    [Fact]
    public void A_subscription_failing_marks_it_down_at_once_and_a_round_trip_brings_it_back()
    {
        var rule = new BackplanePeers(Self);
        Assert.True(rule.SubscribeFailed(At(0)));
        Assert.False(rule.SubscribeFailed(At(1)));
        Assert.True(rule.Probed(true, At(2)));
    }

    [Fact]
    public void Its_own_reports_are_not_a_peer()
    {
        var rule = DownAfterHearing();
        rule.Heard(Self, false, At(4));
        Assert.True(rule.Probed(true, At(10)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_report_reads_back(bool works)
    {
        var report = BackplanePeers.Report(B, works);
        Assert.Equal(B.ToString("N") + (works ? " 1" : " 0"), report);
        Assert.True(BackplanePeers.TryParse(report, out var id, out var read));
        Assert.Equal((B, works), (id, read));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("not-a-guid-at-all-but-32-chars-x 1")]
    [InlineData("0123456789abcdef0123456789abcdef 2")]
    [InlineData("0123456789abcdef0123456789abcdef1")]
    [InlineData("0123456789abcdef0123456789abcdef 1 ")]
    [InlineData("0123456789abcdef0123456789abcdeg 1")]
    public void A_malformed_report_is_ignored(string? report)
    {
        Assert.False(BackplanePeers.TryParse(report, out _, out _));
    }
}
