namespace Hotline.Domain;

/// <summary>The lifecycle fields of a consultation, as its grain stores them (the grain's state implements this).</summary>
public interface IConsultationLifecycle
{
    ConsultationStatus Status { get; set; }
    /// <summary>First entry into the queue: keeps its age across transfers and lost lawyers.</summary>
    DateTimeOffset QueuedAt { get; set; }
    string? OfferedTo { get; set; }
    DateTimeOffset? OfferExpiresAt { get; set; }
    string? AssignedLawyerId { get; set; }
    string? AssignedLawyerName { get; set; }
    DateTimeOffset? AcceptedAt { get; set; }
    /// <summary>Every lawyer ever offered or assigned the consultation.</summary>
    List<string> LawyersInvolved { get; }
    DateTimeOffset? ClosedAt { get; set; }
    Resolution? Resolution { get; set; }
    int? QueuePosition { get; set; }
    int? EstimatedWaitSeconds { get; set; }
}

/// <summary>
/// The consultation lifecycle as pure code: each command checks its transition with
/// <see cref="ConsultationStateMachine"/> and changes the lifecycle fields, or reports that it does not apply. The grain
/// keeps persistence, the message sequence, the router calls and the pushes.
/// </summary>
public static class ConsultationLifecycle
{
    /// <summary>A new consultation enters the queue.</summary>
    public static void Open(IConsultationLifecycle c, DateTimeOffset now)
    {
        c.Status = ConsultationStatus.Queued;
        c.QueuedAt = now;
    }

    /// <summary>The router offered it to a lawyer. False when it no longer waits (active, finished): nothing changes.</summary>
    public static bool Offer(IConsultationLifecycle c, string lawyerId, DateTimeOffset expiresAt)
    {
        if (c.Status != ConsultationStatus.Offered && !ConsultationStateMachine.CanTransition(c.Status, ConsultationStatus.Offered)) return false;
        c.Status = ConsultationStatus.Offered;
        c.OfferedTo = lawyerId;
        c.OfferExpiresAt = expiresAt;
        Involve(c, lawyerId);
        return true;
    }

    /// <summary>The offer to this lawyer ended (declined, timed out, revoked): waiting again. False when it was not theirs.</summary>
    public static bool WithdrawOffer(IConsultationLifecycle c, string lawyerId)
    {
        if (c.Status != ConsultationStatus.Offered || !string.Equals(c.OfferedTo, lawyerId, StringComparison.Ordinal)) return false;
        c.Status = ConsultationStatus.Queued;
        ClearOffer(c);
        return true;
    }

    /// <summary>The lawyer accepted (or claimed) it. False when finished or already active with that lawyer.</summary>
    public static bool Assign(IConsultationLifecycle c, string lawyerId, string lawyerName, DateTimeOffset now)
    {
        if (ConsultationStateMachine.IsTerminal(c.Status)) return false;
        if (c.Status == ConsultationStatus.Active && string.Equals(c.AssignedLawyerId, lawyerId, StringComparison.Ordinal)) return false;
        c.Status = ConsultationStatus.Active;
        c.AssignedLawyerId = lawyerId;
        c.AssignedLawyerName = lawyerName;
        c.AcceptedAt = now;
        ClearOffer(c);
        c.QueuePosition = null;
        c.EstimatedWaitSeconds = null;
        Involve(c, lawyerId);
        return true;
    }

    /// <summary>Back to the queue (transfer, lost lawyer, admin requeue), keeping its age. False when finished.</summary>
    public static bool Requeue(IConsultationLifecycle c)
    {
        if (ConsultationStateMachine.IsTerminal(c.Status)) return false;
        c.Status = ConsultationStatus.Queued;
        c.AssignedLawyerId = null;
        c.AssignedLawyerName = null;
        c.AcceptedAt = null;
        ClearOffer(c);
        return true;
    }

    /// <summary>
    /// Ends it: an active consultation is closed (answered unless a resolution is given), a waiting one is abandoned;
    /// when <paramref name="workerErased"/>, any unfinished one is abandoned (the worker left for good, see
    /// <see cref="ConsultationStateMachine.CanEndOnErasure"/>). Returns the final status, or null when it was finished already.
    /// </summary>
    public static ConsultationStatus? Finish(IConsultationLifecycle c, DateTimeOffset now, Resolution? resolution, bool workerErased = false)
    {
        var to = c.Status == ConsultationStatus.Active && !workerErased ? ConsultationStatus.Closed : ConsultationStatus.Abandoned;
        if (workerErased ? !ConsultationStateMachine.CanEndOnErasure(c.Status) : !ConsultationStateMachine.CanTransition(c.Status, to)) return null;
        if (workerErased) resolution = null;
        c.Status = to;
        c.ClosedAt = now;
        c.Resolution = resolution ?? (to == ConsultationStatus.Closed ? Domain.Resolution.Answered : null);
        ClearOffer(c);
        return to;
    }

    /// <summary>Seconds from acceptance to <paramref name="now"/> (null when never accepted).</summary>
    public static double? HandleSeconds(IConsultationLifecycle c, DateTimeOffset now) =>
        c.AcceptedAt is { } accepted ? Math.Max(0, (now - accepted).TotalSeconds) : null;

    private static void ClearOffer(IConsultationLifecycle c)
    {
        c.OfferedTo = null;
        c.OfferExpiresAt = null;
    }

    private static void Involve(IConsultationLifecycle c, string lawyerId)
    {
        if (!c.LawyersInvolved.Contains(lawyerId)) c.LawyersInvolved.Add(lawyerId);
    }
}
