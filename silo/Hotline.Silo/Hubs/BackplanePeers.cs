namespace Hotline.Silo.Hubs;

/// <summary>
/// The rule <see cref="BackplaneHealth"/> decides by, without Redis: given this process's own probe results, the reports
/// it hears from the other processes on the shared channel and a monotonic clock, is the backplane down? Not thread-safe
/// (the caller serializes). Instants are monotonic (time since the caller's start), never the wall clock.
/// <list type="bullet">
/// <item>Up to down: <see cref="DownAfterFailures"/> own probe failures in a row, or a subscription that fails. Peers never
/// pull a process down (see <see cref="BackplaneHealth"/> for why).</item>
/// <item>Down to up: this process's own probe round-trips (its subscriptions are back), and every peer it heard within
/// <see cref="RecentlyHeard"/> before its own probe first failed, or while down, has since reported its own probe working in
/// <see cref="ReportsNeeded"/> reports in a row, heard after this process's own probe came back; a peer silent for
/// <see cref="SilentFor"/> since then (dead or departed) stops counting, and <see cref="WaitAtMost"/> after its own probe
/// first came back in this outage no peer does (a single failed probe while waiting does not restart the wait).
/// A peer first heard after this process's own probe came back was not there during the outage and does not count.</item>
/// </list>
/// </summary>
internal sealed class BackplanePeers(Guid self)
{
    /// <summary>Own probe failures in a row that mark the backplane down (one may be a slow second).</summary>
    public const int DownAfterFailures = 2;

    /// <summary>A peer heard this long before this process went down is waited for on recovery. Reports come every one to
    /// three seconds (a probe of at most two, then a second's pause) and a process notices an outage two to four seconds
    /// after it starts, so every live peer was heard well inside this; one gone for longer is not waited for.</summary>
    public static readonly TimeSpan RecentlyHeard = TimeSpan.FromSeconds(10);

    /// <summary>An awaited peer not heard for this long since this process's own probe came back is taken as gone (killed
    /// or stopped during the outage): it must not block the cluster. A live peer reconnects within a second of Redis
    /// answering (every connection retries each second) and reports one to three seconds later, so it is heard within
    /// about four seconds; six leaves a margin for a loaded machine, and costs at most six seconds of refusals when a
    /// peer did die.</summary>
    public static readonly TimeSpan SilentFor = TimeSpan.FromSeconds(6);

    /// <summary>Longest this process waits on peers once its own probe is back. A peer that keeps reporting its own probe
    /// failing refuses its own writes; waiting on it for ever would turn one sick process into a cluster-wide outage,
    /// while re-subscribing after a Redis restart takes seconds.</summary>
    public static readonly TimeSpan WaitAtMost = TimeSpan.FromSeconds(30);

    /// <summary>Reports in a row of a peer's own probe working that confirm it. One is not enough: a report published just
    /// after a round trip on a Redis that then died can wait in the client's queue and reach the restarted Redis before
    /// that peer's subscriptions do; the next report follows a probe sent after it, which came back only through
    /// subscriptions on the Redis this process hears.</summary>
    public const int ReportsNeeded = 2;

    private readonly Dictionary<Guid, Peer> _peers = [];
    private int _failures;
    // When the current run of own probe failures began: the outage as this process first saw it.
    private TimeSpan _failingSince;
    private TimeSpan _downSince;
    // While down: when the own probe came back (null while it fails) and the peers heard before that, to wait for.
    private TimeSpan? _back;
    // While down: when the own probe first came back in this outage; WaitAtMost counts from here, so a probe that
    // flaps (a slow second now and then) cannot restart the bound for ever.
    private TimeSpan? _firstBack;
    private HashSet<Guid> _awaited = [];

    /// <summary>This process's id, in its reports.</summary>
    public Guid Self => self;

    /// <summary>True while the backplane cannot be trusted to carry events.</summary>
    public bool Down { get; private set; }

    /// <summary>The peers this process still waits for (while down with its own probe back); for the log.</summary>
    public int Awaited => _awaited.Count;

    /// <summary>The result of this process's own probe at <paramref name="now"/>; true when <see cref="Down"/> changed.</summary>
    public bool Probed(bool roundTripped, TimeSpan now)
    {
        if (!roundTripped)
        {
            if (_failures++ == 0) _failingSince = now;
            // One failure may be a slow second, while down as while up: only a second one in a row starts the wait anew.
            if (_failures < DownAfterFailures) return false;
            _back = null;
            _awaited = [];
            return GoDown(now);
        }
        _failures = 0;
        if (!Down)
        {
            // Nobody gone this long can be waited for later (a later outage starts after now): keep the table small.
            foreach (var id in _peers.Where(p => now - p.Value.LastHeard > RecentlyHeard).Select(p => p.Key).ToList())
                _peers.Remove(id);
            return false;
        }
        if (_back is null)
        {
            _back = now;
            _firstBack ??= now;
            _awaited = _peers.Where(p => p.Value.LastHeard >= _downSince - RecentlyHeard).Select(p => p.Key).ToHashSet();
            // Only reports heard from now on count.
            foreach (var peer in _peers.Values) peer.Streak = 0;
        }
        return TryUp(now);
    }

    /// <summary>Subscribing failed at <paramref name="now"/>: down at once (nothing can be heard).</summary>
    public bool SubscribeFailed(TimeSpan now)
    {
        _back = null;
        _awaited = [];
        return GoDown(now);
    }

    /// <summary>A peer's report heard on the shared channel at <paramref name="now"/>; true when <see cref="Down"/> changed.</summary>
    public bool Heard(Guid peer, bool probeWorks, TimeSpan now)
    {
        if (peer == self) return false;
        if (!_peers.TryGetValue(peer, out var p)) _peers[peer] = p = new Peer();
        p.LastHeard = now;
        p.Streak = probeWorks ? p.Streak + 1 : 0;
        return Down && _back is not null && TryUp(now);
    }

    /// <summary>A report: this process's id and whether its own probe works, e.g. <c>"3f2a…c1 1"</c>.</summary>
    public static string Report(Guid id, bool probeWorks) => id.ToString("N") + (probeWorks ? " 1" : " 0");

    /// <summary>Reads a <see cref="Report"/>; false for anything else (ignored).</summary>
    public static bool TryParse(string? report, out Guid id, out bool probeWorks)
    {
        probeWorks = false;
        id = Guid.Empty;
        if (report is not { Length: 34 } || report[32] != ' ' || report[33] is not ('0' or '1')) return false;
        probeWorks = report[33] == '1';
        return Guid.TryParseExact(report.AsSpan(0, 32), "N", out id);
    }

    private bool GoDown(TimeSpan now)
    {
        if (Down) return false;
        Down = true;
        // From the first failed probe, not from the second: a peer heard just before the outage began is waited for.
        _downSince = _failures > 0 ? _failingSince : now;
        _firstBack = null;
        return true;
    }

    private bool TryUp(TimeSpan now)
    {
        var back = _back!.Value;
        if (now - (_firstBack ?? back) < WaitAtMost)
        {
            _awaited.RemoveWhere(id => !_peers.TryGetValue(id, out var p) || p.Streak >= ReportsNeeded
                                       || now - Max(p.LastHeard, back) > SilentFor);
            if (_awaited.Count > 0) return false;
        }
        Down = false;
        _back = null;
        _firstBack = null;
        _awaited = [];
        return true;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private sealed class Peer
    {
        public TimeSpan LastHeard { get; set; }
        /// <summary>Reports in a row of its own probe working (since this process's own probe came back, while down).</summary>
        public int Streak { get; set; }
    }
}
