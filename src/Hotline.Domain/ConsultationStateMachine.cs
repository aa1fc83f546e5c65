namespace Hotline.Domain;

/// <summary>The legal transitions of a consultation's <see cref="ConsultationStatus"/>.</summary>
/// <remarks>
/// queued -&gt; offered | active (direct accept) | abandoned; offered -&gt; queued (decline, timeout, revoke) | active | abandoned;
/// active -&gt; queued (transfer, lawyer's grace period lost) | closed. A worker closing a consultation that is still waiting
/// abandons it (queued -&gt; closed is not legal). Closed and abandoned are terminal. Self-transitions are not transitions.
/// One ending outside these: a worker who erases themself (<c>DELETE /api/workers/me</c>) leaves for good, so every
/// unfinished consultation of theirs, active included, ends abandoned (<see cref="CanEndOnErasure"/>).
/// </remarks>
public static class ConsultationStateMachine
{
    /// <summary>Whether <paramref name="from"/> may move to <paramref name="to"/>.</summary>
    public static bool CanTransition(ConsultationStatus from, ConsultationStatus to) => (from, to) switch
    {
        (ConsultationStatus.Queued, ConsultationStatus.Offered) => true,
        (ConsultationStatus.Queued, ConsultationStatus.Active) => true,
        (ConsultationStatus.Queued, ConsultationStatus.Abandoned) => true,
        (ConsultationStatus.Offered, ConsultationStatus.Queued) => true,
        (ConsultationStatus.Offered, ConsultationStatus.Active) => true,
        (ConsultationStatus.Offered, ConsultationStatus.Abandoned) => true,
        (ConsultationStatus.Active, ConsultationStatus.Queued) => true,
        (ConsultationStatus.Active, ConsultationStatus.Closed) => true,
        _ => false,
    };
    /// <summary>Whether a consultation may end abandoned because its worker erased themself: any unfinished one.</summary>
    public static bool CanEndOnErasure(ConsultationStatus from) => !IsTerminal(from);

    /// <summary>Closed and abandoned consultations accept no more messages or transitions.</summary>
    public static bool IsTerminal(ConsultationStatus status) => status is ConsultationStatus.Closed or ConsultationStatus.Abandoned;
}
