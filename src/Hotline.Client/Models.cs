namespace Hotline.Client;

/// <summary>Client-side shapes of the contract (JSON camelCase, enums as snake_case strings).</summary>
public sealed record WorkerToken(string WorkerId, string Token);

/// <summary>A renewed worker token and when it expires.</summary>
public sealed record RenewedToken(string Token, DateTimeOffset ExpiresAt);

/// <summary>Answer of <c>POST /api/auth/login</c>.</summary>
public sealed record LoginResult(string UserId, string Role, string DisplayName, string Token);
/// <summary>Contract <c>ConsultationView</c>.</summary>
public sealed record Consultation(string Id, string WorkerId, string Category, string Dialect, string Channel, string Summary, string Status,
    int Priority, DateTimeOffset CreatedAt, string? AssignedLawyerId, string? AssignedLawyerName, int? QueuePosition, int? EstimatedWaitSeconds, long LastSeq,
    string? WorkerName = null, DateTimeOffset? ClosedAt = null, string? Resolution = null, int? Rating = null,
    string? CallbackNumber = null, string? Advice = null, bool Callback = false, IReadOnlyList<CallAttempt>? CallAttempts = null, int? LawyersOnline = null)
{
    /// <summary>The employer named at intake.</summary>
    public string? Employer { get; init; }
    /// <summary>The catalog region named at intake.</summary>
    public string? Region { get; init; }
    /// <summary>Other consultations naming the same employer in the alert window (assigned lawyer and admins only).</summary>
    public int? RelatedCount { get; init; }
}
/// <summary>A lawyer's call-back attempt on a phone consultation.</summary>
public sealed record CallAttempt(DateTimeOffset At, string LawyerId, string Outcome);
/// <summary>A phone call as the gateway polls it (<c>GET /api/hotline/calls/{id}</c>).</summary>
public sealed record PhoneCallStatus(string ConsultationId, string Status, int? QueuePosition, int? EstimatedWaitSeconds, string? AssignedLawyerId,
    string? AssignedLawyerName, bool Callback, int LawyersOnline = 0);
/// <summary><c>GET /api/duty</c>.</summary>
public sealed record DutyStatus(bool OnDutyNow, int LawyersOnline, DateTimeOffset? NextShiftStartsAt, string Timezone);
/// <summary>Contract <c>Message</c>.</summary>
public sealed record ChatMessage(string ConsultationId, long Seq, string SenderRole, string SenderId, string SenderName, string Text, DateTimeOffset SentAt, string ClientMessageId);
/// <summary>Contract <c>MessageAck</c>.</summary>
public sealed record MessageAck(long Seq, DateTimeOffset SentAt, bool Duplicate);
/// <summary>Answer of <c>JoinConsultation</c> / <c>AcceptOffer</c>.</summary>
public sealed record JoinResult(Consultation Consultation, IReadOnlyList<ChatMessage> Missed);
/// <summary>Contract <c>Offer</c> event.</summary>
public sealed record OfferEvent(string ConsultationId, string Category, string Dialect, string Channel, string Summary, double WaitedSeconds, DateTimeOffset ExpiresAt);
/// <summary>Contract <c>OfferRevoked</c> event.</summary>
public sealed record OfferRevokedEvent(string ConsultationId, string Reason);
/// <summary>Contract <c>QueueUpdate</c> event.</summary>
public sealed record QueueUpdateEvent(string ConsultationId, int Position, int? EstimatedWaitSeconds, int LawyersOnline = 0);
/// <summary>Contract <c>Assigned</c> event.</summary>
public sealed record AssignedEvent(string ConsultationId, string LawyerId, string LawyerName);
/// <summary>Contract <c>StatusChanged</c> event.</summary>
public sealed record StatusChangedEvent(string ConsultationId, string Status, string? Resolution = null, string? Advice = null);
/// <summary><c>MessageWithdrawn</c> event: the message pushed early at this seq was not stored.</summary>
public sealed record MessageWithdrawnEvent(string ConsultationId, long Seq, string ClientMessageId);
/// <summary>Contract <c>Typing</c> event.</summary>
public sealed record TypingEvent(string ConsultationId, string Role);
/// <summary>Contract <c>LawyerView</c>.</summary>
public sealed record Lawyer(string Id, string Username, string DisplayName, IReadOnlyList<string> Skills, IReadOnlyList<string> Dialects, int Capacity, string Status, int ActiveCount,
    bool Connected = false)
{
    /// <summary>Employer names the lawyer has a conflict of interest with.</summary>
    public IReadOnlyList<string> Conflicts { get; init; } = [];
    /// <summary>A disabled lawyer cannot log in and gets nothing routed.</summary>
    public bool Disabled { get; init; }
}
/// <summary>Contract <c>Alert</c> (collective dispute).</summary>
public sealed record Alert(string Id, string Employer, string? Region, IReadOnlyList<string> ConsultationIds, int Workers, DateTimeOffset FirstAt,
    DateTimeOffset LastAt, string Status);
/// <summary>A private note of a lawyer on a consultation.</summary>
public sealed record Note(string ConsultationId, string LawyerId, string LawyerName, string Text, DateTimeOffset At);
/// <summary>Any hub event as it arrived on the wire, before typed decoding (for contract checks).</summary>
public sealed record RawEvent(string Method, System.Text.Json.JsonElement Payload);
/// <summary>Transfer request.</summary>
public sealed record TransferRequest(string? ToCategory = null, string? ToLawyerId = null, string? Note = null);
/// <summary>One queue of a <c>MetricsSnapshot</c>.</summary>
public sealed record QueueMetrics(string Category, int Waiting, double OldestWaitSeconds, double AverageWaitSeconds, double ServiceLevel, int Abandoned, int Answered, double ServiceLevel60, double AverageHandleSeconds, int LawyersNeeded,
    int Rated = 0, double? Satisfaction = null);
/// <summary>Lawyers by state.</summary>
public sealed record LawyerCounts(int Online, int Available, int Busy, int Away, double Occupancy, int Reserved = 0);
/// <summary>Consultations by state.</summary>
public sealed record ConsultationCounts(int Queued, int Offered, int Active, int ClosedToday);
/// <summary>Contract <c>MetricsSnapshot</c>.</summary>
public sealed record MetricsSnapshot(DateTimeOffset At, IReadOnlyList<QueueMetrics> Queues, LawyerCounts Lawyers, ConsultationCounts Consultations, int Silos,
    IReadOnlyList<RegionMetrics>? Regions = null);
/// <summary>One region of a <c>MetricsSnapshot</c> (issue 12): live waiting, today's counts.</summary>
public sealed record RegionMetrics(string Region, int Waiting, int Offered, double OldestWaitSeconds, int Arrived, int Answered, int Abandoned,
    double AverageWaitSeconds, double ServiceLevel);
/// <summary>A problem+json error.</summary>
public sealed class HotlineApiException(int status, string code, string message) : Exception($"{code}: {message}")
{
    public int Status { get; } = status;
    public string Code { get; } = code;
}
