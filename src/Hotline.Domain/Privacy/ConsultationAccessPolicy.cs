namespace Hotline.Domain.Privacy;

/// <summary>Where a lawyer stands with one consultation (need-to-know, contract v2 "Roles and tokens").</summary>
public enum LawyerStanding
{
    /// <summary>Never involved, or declined / let the offer lapse: no access at all.</summary>
    None,
    /// <summary>The consultation is offered to this lawyer now: its view only.</summary>
    Offered,
    /// <summary>Assigned to this lawyer now: view, messages, notes; may write.</summary>
    Assigned,
    /// <summary>It was assigned and left them (transfer, close, requeue): view, messages up to <see cref="LawyerRecord.LeftAtSeq"/>, own notes.</summary>
    Left,
}

/// <summary>One lawyer's history with a consultation, kept in the consultation's state.</summary>
public sealed class LawyerRecord
{
    public string LawyerId { get; set; } = "";
    public LawyerStanding Standing { get; set; }
    /// <summary>The last message seq the lawyer may still read after the consultation left them.</summary>
    public long LeftAtSeq { get; set; }
    /// <summary>When it left them (for the audit trail).</summary>
    public DateTimeOffset? LeftAt { get; set; }
}

/// <summary>An admin's time-limited, audited permission to read one transcript.</summary>
public sealed class AdminGrant
{
    public string AdminId { get; set; } = "";
    public DateTimeOffset Until { get; set; }
}

/// <summary>Who reads: the worker, a lawyer, or an admin (gateways and the system never read transcripts through this).</summary>
public enum ReaderRole { Worker, Lawyer, Admin, Other }

/// <summary>What a reader may see of a consultation, and whether the read must be written to the audit log.</summary>
/// <param name="View">The <c>ConsultationView</c>.</param>
/// <param name="Messages">Messages (all of them unless <paramref name="MessagesUpToSeq"/> caps them).</param>
/// <param name="MessagesUpToSeq">Highest seq readable; null means no cap.</param>
/// <param name="Notes">Private notes.</param>
/// <param name="OwnNotesOnly">Only the reader's own notes.</param>
/// <param name="Write">May send messages and type.</param>
/// <param name="AuditTranscript">Reading messages is audited as <c>read_transcript</c>.</param>
/// <param name="AuditNotes">Reading notes is audited as <c>read_notes</c>.</param>
public readonly record struct AccessDecision(bool View, bool Messages, long? MessagesUpToSeq, bool Notes, bool OwnNotesOnly, bool Write,
    bool AuditTranscript, bool AuditNotes)
{
    /// <summary>No access at all.</summary>
    public static AccessDecision Nothing => default;
}

/// <summary>
/// Need-to-know rules for consultations, pure: a worker sees its own; a lawyer sees the view while it is offered to them;
/// view, messages and notes while assigned; after it left them, the view, the messages up to the moment it left
/// (audited) and their own notes; a lawyer who declined or let an offer lapse sees nothing. An admin reads a transcript
/// only under an unexpired grant, and every such read is audited.
/// </summary>
public static class ConsultationAccessPolicy
{
    /// <summary>How long an admin grant lasts.</summary>
    public static readonly TimeSpan GrantDuration = TimeSpan.FromMinutes(30);

    /// <summary>The decision for <paramref name="readerId"/> in <paramref name="role"/>.</summary>
    public static AccessDecision Decide(ReaderRole role, string readerId, string workerId, IReadOnlyList<LawyerRecord> lawyers,
        IReadOnlyList<AdminGrant> grants, DateTimeOffset now)
    {
        switch (role)
        {
            case ReaderRole.Worker when readerId == workerId:
                return new AccessDecision(View: true, Messages: true, MessagesUpToSeq: null, Notes: false, OwnNotesOnly: false, Write: true,
                    AuditTranscript: false, AuditNotes: false);
            case ReaderRole.Lawyer:
                return StandingOf(lawyers, readerId) switch
                {
                    (LawyerStanding.Offered, _) => new AccessDecision(true, false, null, false, false, false, false, false),
                    (LawyerStanding.Assigned, _) => new AccessDecision(true, true, null, true, false, true, false, false),
                    (LawyerStanding.Left, var upTo) => new AccessDecision(true, true, upTo, true, true, false, AuditTranscript: true, AuditNotes: false),
                    _ => AccessDecision.Nothing,
                };
            case ReaderRole.Admin when HasGrant(grants, readerId, now):
                return new AccessDecision(true, true, null, true, false, false, AuditTranscript: true, AuditNotes: true);
            default:
                return AccessDecision.Nothing;
        }
    }

    /// <summary>The lawyer's standing and, if it left them, the last seq they may read.</summary>
    public static (LawyerStanding Standing, long LeftAtSeq) StandingOf(IReadOnlyList<LawyerRecord> lawyers, string lawyerId)
    {
        foreach (var l in lawyers)
            if (l.LawyerId == lawyerId) return (l.Standing, l.LeftAtSeq);
        return (LawyerStanding.None, 0);
    }

    /// <summary>Whether the admin holds a grant that has not run out.</summary>
    public static bool HasGrant(IReadOnlyList<AdminGrant> grants, string adminId, DateTimeOffset now)
    {
        foreach (var g in grants)
            if (g.AdminId == adminId && g.Until > now) return true;
        return false;
    }

    /// <summary>The consultation is offered to <paramref name="lawyerId"/>.</summary>
    public static void Offered(List<LawyerRecord> lawyers, string lawyerId)
    {
        var record = Get(lawyers, lawyerId);
        // An offer never demotes a lawyer it left before: they keep reading up to that moment until they accept again.
        if (record.Standing is LawyerStanding.None) record.Standing = LawyerStanding.Offered;
    }

    /// <summary>The offer was declined, lapsed or withdrawn: access ends at once (unless it had left them before).</summary>
    public static void OfferEnded(List<LawyerRecord> lawyers, string lawyerId)
    {
        var record = Find(lawyers, lawyerId);
        if (record is { Standing: LawyerStanding.Offered }) record.Standing = LawyerStanding.None;
    }

    /// <summary>Assigned to <paramref name="lawyerId"/>; any other offered lawyer loses its view.</summary>
    public static void Assigned(List<LawyerRecord> lawyers, string lawyerId)
    {
        foreach (var other in lawyers)
            if (other.LawyerId != lawyerId && other.Standing == LawyerStanding.Offered) other.Standing = LawyerStanding.None;
        Get(lawyers, lawyerId).Standing = LawyerStanding.Assigned;
    }

    /// <summary>It left <paramref name="lawyerId"/> (transfer, close, requeue) after message <paramref name="lastSeq"/>.</summary>
    public static void Left(List<LawyerRecord> lawyers, string lawyerId, long lastSeq, DateTimeOffset at)
    {
        var record = Get(lawyers, lawyerId);
        if (record.Standing != LawyerStanding.Assigned) return;
        record.Standing = LawyerStanding.Left;
        record.LeftAtSeq = lastSeq;
        record.LeftAt = at;
    }

    /// <summary>Adds a grant for <paramref name="adminId"/> and drops expired ones; returns its end.</summary>
    public static DateTimeOffset Grant(List<AdminGrant> grants, string adminId, DateTimeOffset now)
    {
        grants.RemoveAll(g => g.Until <= now || g.AdminId == adminId);
        var until = now + GrantDuration;
        grants.Add(new AdminGrant { AdminId = adminId, Until = until });
        return until;
    }

    private static LawyerRecord? Find(List<LawyerRecord> lawyers, string lawyerId) => lawyers.Find(l => l.LawyerId == lawyerId);

    private static LawyerRecord Get(List<LawyerRecord> lawyers, string lawyerId)
    {
        var record = Find(lawyers, lawyerId);
        if (record is null)
        {
            record = new LawyerRecord { LawyerId = lawyerId };
            lawyers.Add(record);
        }
        return record;
    }
}
