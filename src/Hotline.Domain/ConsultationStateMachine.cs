namespace Hotline.Domain;

/// <summary>The legal transitions of a consultation's <see cref="ConsultationStatus"/>.</summary>
public static class ConsultationStateMachine
{
    /// <summary>Whether <paramref name="from"/> may move to <paramref name="to"/>.</summary>
    public static bool CanTransition(ConsultationStatus from, ConsultationStatus to) => throw new NotImplementedException();
    /// <summary>Closed and abandoned consultations accept no more messages or transitions.</summary>
    public static bool IsTerminal(ConsultationStatus status) => status is ConsultationStatus.Closed or ConsultationStatus.Abandoned;
}
