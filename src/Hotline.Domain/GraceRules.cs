namespace Hotline.Domain;

/// <summary>
/// The grace period of a lawyer whose connections are gone, as pure maths. A lawyer grain records when a connection of
/// the lawyer was last seen (connected or renewed), at most every <see cref="SeenPrecision"/> to keep renewals cheap, so
/// the instant it holds is at most that much older than the truth. After a restart or failover the grace period counts
/// from that instant instead of starting again in full, but never ends before a live connection on another silo has had
/// time to re-assert itself.
/// </summary>
public static class GraceRules
{
    /// <summary>The most a recorded "last seen" may lag behind the truth: a quarter of the grace period, between 1 s and 30 s.</summary>
    public static TimeSpan SeenPrecision(double graceSeconds) => TimeSpan.FromSeconds(Math.Clamp(graceSeconds / 4, 1, 30));

    /// <summary>Whether a connection seen at <paramref name="now"/> should rewrite the recorded instant.</summary>
    public static bool ShouldRecordSeen(DateTimeOffset? recorded, DateTimeOffset now, double graceSeconds) =>
        recorded is not { } seen || now - seen >= SeenPrecision(graceSeconds) || now < seen;

    /// <summary>
    /// The deadline a fresh activation sets for a lawyer with active consultations and no connection: the recorded
    /// "last seen" plus its precision plus the grace period (never earlier than the true one), and at least
    /// <paramref name="settle"/> (or the whole grace period, if shorter) from now, so that live connections re-assert
    /// first. Without a recorded instant (a lawyer never seen since this was introduced), the grace period runs in full from now.
    /// </summary>
    public static DateTimeOffset DeadlineOnActivation(DateTimeOffset? lastSeen, DateTimeOffset now, double graceSeconds, TimeSpan settle)
    {
        var grace = TimeSpan.FromSeconds(graceSeconds);
        var earliest = now + (settle < grace ? settle : grace);
        if (lastSeen is not { } seen || seen > now) return now + grace;
        var fromSeen = seen + SeenPrecision(graceSeconds) + grace;
        return fromSeen > earliest ? fromSeen : earliest;
    }
}
