namespace Hotline.Domain;

/// <summary>
/// The work-conserving router over a <see cref="RouterState"/>: every command mutates the state, then re-runs
/// matching until nothing more matches, and returns the effects for the caller (a grain) to carry out.
/// Pure: time comes in as arguments, nothing here does I/O.
/// </summary>
public sealed class RoutingEngine(RouterState state, RoutingOptions options)
{
    public RouterState State { get; } = state;
    public RoutingOptions Options { get; } = options;

    /// <summary>A new (or transferred, or grace-expired) consultation enters the queue.</summary>
    public RoutingResult Enqueue(QueueEntry entry, DateTimeOffset now) => throw new NotImplementedException();
    /// <summary>Adds or updates a lawyer's profile, capacity and status. Going away/offline revokes pending offers (Cancelled).</summary>
    public RoutingResult UpsertLawyer(LawyerInfo info, DateTimeOffset now) => throw new NotImplementedException();
    /// <summary>The lawyer accepts an offer made to them.</summary>
    public RoutingResult Accept(string consultationId, string lawyerId, DateTimeOffset now) => throw new NotImplementedException();
    /// <summary>The lawyer declines: remembered, offered to the next candidate.</summary>
    public RoutingResult Decline(string consultationId, string lawyerId, DateTimeOffset now) => throw new NotImplementedException();
    /// <summary>An active consultation ends (closed): frees the lawyer's capacity and records the handle time.</summary>
    public RoutingResult Release(string consultationId, DateTimeOffset now, double? handleSeconds) => throw new NotImplementedException();
    /// <summary>A queued or offered consultation leaves (worker abandoned it). Revokes its offer (Cancelled).</summary>
    public RoutingResult Remove(string consultationId, DateTimeOffset now) => throw new NotImplementedException();
    /// <summary>An active consultation goes back to the queue keeping its original age (transfer or lost lawyer).</summary>
    public RoutingResult Requeue(string consultationId, string? newCategory, string? preferredLawyerId, string? excludeLawyerId, DateTimeOffset now) => throw new NotImplementedException();
    /// <summary>The lawyer's last connection dropped: pending offers are revoked (Cancelled) and re-routed at once.</summary>
    public RoutingResult LawyerDisconnected(string lawyerId, DateTimeOffset now) => throw new NotImplementedException();
    /// <summary>Timer: expires offers (lawyer set away if configured), applies widening steps, re-matches.</summary>
    public RoutingResult Tick(DateTimeOffset now) => throw new NotImplementedException();
    /// <summary>When <see cref="Tick"/> next has something to do (an offer deadline or a widening step), if ever.</summary>
    public DateTimeOffset? NextDeadline(DateTimeOffset now) => throw new NotImplementedException();
    /// <summary>Position (1-based, among not-yet-offered eligible-ordered queue) and estimated wait.</summary>
    public QueuePosition? GetPosition(string consultationId, DateTimeOffset now) => throw new NotImplementedException();
}
