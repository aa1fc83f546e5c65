namespace Hotline.Domain;

/// <summary>Where the router has a consultation: nowhere, waiting (possibly offered), or active with a lawyer.</summary>
public enum RouterPlacement
{
    /// <summary>The router does not know the consultation.</summary>
    None,
    /// <summary>In the queue (offered or not).</summary>
    Queued,
    /// <summary>Active with a lawyer.</summary>
    Active,
}

/// <summary>What to do so that a consultation and the router agree again.</summary>
public enum ConsistencyRepair
{
    /// <summary>They agree (or differ only by a one-way callback still in flight).</summary>
    None,
    /// <summary>The router forgets it (the consultation is closed, abandoned or does not exist): remove or release.</summary>
    ForgetInRouter,
    /// <summary>The router lost a consultation that still waits or is active: queue it again (keeping its age).</summary>
    EnqueueInRouter,
    /// <summary>The router queued it again (transfer, requeue) but the consultation still reads active: it reads queued.</summary>
    ConsultationToQueued,
    /// <summary>The router assigned it but the consultation never recorded it: it becomes active with that lawyer.</summary>
    ConsultationToActive,
    /// <summary>The router offered it but the offer never reached the consultation (the router died before its effects went
    /// out): the consultation records the router's offer, which pushes it to that lawyer.</summary>
    RecordOffer,
}

/// <summary>
/// The one-truth rules between a consultation and the router, as pure code. The commands are ordered so that a crash
/// between the two writes always leaves the router holding the entry: open, transfer and requeue go to the router
/// first (then the consultation), close and abandon write the consultation first (then the router). So the router is
/// the truth for waiting and assignment, the consultation for existence and for being finished, and every mismatch a
/// single crash can leave has exactly one repair.
/// </summary>
public static class ConsistencyRules
{
    /// <summary>The repair that makes the two agree; <see cref="ConsistencyRepair.None"/> when they do.</summary>
    /// <param name="exists">Whether the consultation has a stored state.</param>
    /// <param name="status">Its status (ignored when it does not exist).</param>
    /// <param name="assignedLawyerId">Its assigned lawyer, when active.</param>
    /// <param name="router">Where the router has it.</param>
    /// <param name="routerLawyerId">The router's assigned lawyer, when active there.</param>
    /// <param name="offeredTo">The lawyer the consultation records an open offer to.</param>
    /// <param name="routerOfferedTo">The lawyer the router has it offered to, while it waits there.</param>
    public static ConsistencyRepair Compare(bool exists, ConsultationStatus status, string? assignedLawyerId, RouterPlacement router, string? routerLawyerId,
        string? offeredTo = null, string? routerOfferedTo = null)
    {
        if (!exists || ConsultationStateMachine.IsTerminal(status))
            return router == RouterPlacement.None ? ConsistencyRepair.None : ConsistencyRepair.ForgetInRouter;
        return (status, router) switch
        {
            (_, RouterPlacement.None) => ConsistencyRepair.EnqueueInRouter,
            // An offer the consultation never heard of would lapse unseen (and count against that lawyer). An offer it
            // heard of that the router withdrew is a one-way callback in flight: no repair.
            (ConsultationStatus.Queued or ConsultationStatus.Offered, RouterPlacement.Queued)
                when routerOfferedTo is not null && !string.Equals(offeredTo, routerOfferedTo, StringComparison.Ordinal) => ConsistencyRepair.RecordOffer,
            (ConsultationStatus.Queued or ConsultationStatus.Offered, RouterPlacement.Queued) => ConsistencyRepair.None,
            (ConsultationStatus.Queued or ConsultationStatus.Offered, RouterPlacement.Active) => ConsistencyRepair.ConsultationToActive,
            (ConsultationStatus.Active, RouterPlacement.Queued) => ConsistencyRepair.ConsultationToQueued,
            (ConsultationStatus.Active, RouterPlacement.Active) when !string.Equals(assignedLawyerId, routerLawyerId, StringComparison.Ordinal)
                => ConsistencyRepair.ConsultationToActive,
            _ => ConsistencyRepair.None,
        };
    }

    /// <summary>
    /// The consultations one reconciliation pass compares: every one the router holds, and every unfinished one in the
    /// store (which finds one the router lost: no crash between the two writes leaves that, but a lost journal or a bug
    /// could, and nothing else would ever route it again). Each once, the router's first.
    /// </summary>
    public static IReadOnlyList<string> ToCheck(IEnumerable<string> heldByRouter, IEnumerable<string> openInStore) =>
        heldByRouter.Concat(openInStore).Distinct(StringComparer.Ordinal).ToList();
}
