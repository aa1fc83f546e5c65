namespace Hotline.Grains;

/// <summary>Grain-side settings that are not routing policy (bound from <c>Hotline:Grains</c>).</summary>
public sealed class GrainOptions
{
    /// <summary>How long a disconnected lawyer keeps its active consultations before they return to the queue.</summary>
    public double LawyerGraceSeconds { get; set; } = 120;
    /// <summary>
    /// A lawyer connection not re-asserted within this many seconds lapses (each silo re-asserts its open connections
    /// every few seconds, all in parallel), so connections of a silo that died do not keep a lawyer online. Longer than
    /// any single renewal call can take (the 15 s response timeout) plus a renewal period, so one slow call never lapses
    /// a healthy connection; a lapsed connection that is renewed later comes back. 0 turns it off.
    /// </summary>
    public double ConnectionLeaseSeconds { get; set; } = 45;
    /// <summary>How often the reconciliation compares every consultation the router holds with its own state and repairs (0: never).</summary>
    public double ReconcileSeconds { get; set; } = 30;
    /// <summary>How often a reconciliation pass also scans the store's unfinished consultations, to find one the router
    /// lost (a scan of every consultation row, so rarer; the first pass after a start always does it; 0: never).</summary>
    public double StoreReconcileSeconds { get; set; } = 600;
    /// <summary>
    /// Idle minutes after which a consultation's, worker's or resume code's activation is collected (Orleans' default
    /// is 15 for every grain). Their state is durable and one arrives every few seconds at a busy hotline, so keeping
    /// each finished one in memory for 15 minutes only grows the heap; a later call reactivates it from storage.
    /// </summary>
    public double IdleCollectionMinutes { get; set; } = 2;
    /// <summary>
    /// A phone call the gateway has not polled for this long when a lawyer takes it is taken as a callback: the IVR polls
    /// every few seconds while the caller holds, so a silent one lost the caller (a gateway that crashed or lost its
    /// network, a hangup that never arrived), and the lawyer is told to call back instead of waiting for a bridge
    /// (0: never).
    /// </summary>
    public double GatewaySilentSeconds { get; set; } = 60;
    /// <summary>How often admins get a <c>Metrics</c> push.</summary>
    public double MetricsIntervalSeconds { get; set; } = 1;
    /// <summary>The hotline's zone for "today" and the hours of statistics (bound from <c>Hotline:TimeZone</c>).</summary>
    public string TimeZone { get; set; } = Hotline.Domain.HotlineCalendar.DefaultTimeZone;
}

/// <summary>Settings of the chat message path (bound from <c>Hotline:Messages</c>).</summary>
public sealed class MessageOptions
{
    /// <summary>
    /// Push a new message to the participants while its durable write runs (the sender is still acked only after it);
    /// a message whose write then fails is withdrawn with <c>MessageWithdrawn</c>. False pushes only after the commit.
    /// </summary>
    public bool EarlyDelivery { get; set; } = true;
}

/// <summary>Name of the grain storage provider (the project's own <c>IGrainStorage</c>).</summary>
public static class StorageNames
{
    public const string Hotline = "hotline";
}
