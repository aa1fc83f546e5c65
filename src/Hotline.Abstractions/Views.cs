using Hotline.Domain;

namespace Hotline.Abstractions;

/// <summary>A consultation as the contract shows it (<c>ConsultationView</c>).</summary>
[GenerateSerializer, Alias("Hotline.ConsultationView")]
public sealed record ConsultationView
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required string WorkerId { get; init; }
    [Id(2)] public required string Category { get; init; }
    [Id(3)] public required string Dialect { get; init; }
    [Id(4)] public Channel Channel { get; init; }
    [Id(5)] public string Summary { get; init; } = "";
    [Id(6)] public ConsultationStatus Status { get; init; }
    [Id(7)] public int Priority { get; init; }
    [Id(8)] public DateTimeOffset CreatedAt { get; init; }
    [Id(9)] public string? AssignedLawyerId { get; init; }
    [Id(10)] public string? AssignedLawyerName { get; init; }
    [Id(11)] public int? QueuePosition { get; init; }
    [Id(12)] public int? EstimatedWaitSeconds { get; init; }
    [Id(13)] public long LastSeq { get; init; }
    [Id(14)] public string? WorkerName { get; init; }
    [Id(15)] public DateTimeOffset? ClosedAt { get; init; }
    [Id(16)] public Resolution? Resolution { get; init; }
    [Id(17)] public int? Rating { get; init; }
    // Ids 30..39: the phone line and the outcome (issue 11), kept apart from other additions.
    /// <summary>The caller's number: only for the lawyer the phone consultation is assigned to, and only until it closes.</summary>
    [Id(30)] public string? CallbackNumber { get; init; }
    /// <summary>The lawyer's advice to the worker at close: what to do next.</summary>
    [Id(31)] public string? Advice { get; init; }
    /// <summary>A phone caller who asked to be called back instead of holding.</summary>
    [Id(32)] public bool Callback { get; init; }
    /// <summary>The lawyers' call-back attempts on a phone consultation, oldest first (lawyers only).</summary>
    [Id(33)] public IReadOnlyList<CallAttemptView>? CallAttempts { get; init; }
    /// <summary>Eligible lawyers online while it waits (null otherwise).</summary>
    [Id(34)] public int? LawyersOnline { get; init; }
    /// <summary>The employer the worker named at intake, if any.</summary>
    [Id(40)] public string? Employer { get; init; }
    /// <summary>The catalog region the worker named at intake, if any.</summary>
    [Id(41)] public string? Region { get; init; }
    /// <summary>
    /// Other consultations naming the same employer within the collective-dispute window; only for the assigned lawyer and
    /// admins, <c>null</c> for everyone else (and when no employer was named).
    /// </summary>
    [Id(42)] public int? RelatedCount { get; init; }
}

/// <summary>One call-back attempt of a lawyer on a phone consultation.</summary>
[GenerateSerializer, Alias("Hotline.CallAttemptView")]
public sealed record CallAttemptView([property: Id(0)] DateTimeOffset At, [property: Id(1)] string LawyerId, [property: Id(2)] CallOutcome Outcome);

/// <summary>A phone call as the telephony gateway polls it (<c>GET /api/hotline/calls/{id}</c>).</summary>
[GenerateSerializer, Alias("Hotline.PhoneCallStatus")]
public sealed record PhoneCallStatus
{
    [Id(0)] public required string ConsultationId { get; init; }
    [Id(1)] public ConsultationStatus Status { get; init; }
    [Id(2)] public int? QueuePosition { get; init; }
    [Id(3)] public int? EstimatedWaitSeconds { get; init; }
    [Id(4)] public string? AssignedLawyerId { get; init; }
    [Id(5)] public string? AssignedLawyerName { get; init; }
    [Id(6)] public bool Callback { get; init; }
    /// <summary>Eligible lawyers online now (so the IVR can say that nobody is on duty instead of an estimate).</summary>
    [Id(7)] public int LawyersOnline { get; init; }
}

/// <summary>A chat message (<c>Message</c>); <see cref="Seq"/> starts at 1 with no gaps per consultation.</summary>
[GenerateSerializer, Alias("Hotline.MessageView")]
public sealed record MessageView
{
    [Id(0)] public required string ConsultationId { get; init; }
    [Id(1)] public long Seq { get; init; }
    [Id(2)] public ParticipantRole SenderRole { get; init; }
    [Id(3)] public required string SenderId { get; init; }
    [Id(4)] public string SenderName { get; init; } = "";
    [Id(5)] public required string Text { get; init; }
    [Id(6)] public DateTimeOffset SentAt { get; init; }
    [Id(7)] public required string ClientMessageId { get; init; }
}

/// <summary>Answer to <c>SendMessage</c>: sent only after the message is durably stored.</summary>
[GenerateSerializer, Immutable, Alias("Hotline.MessageAck")]
public sealed record MessageAck
{
    [Id(0)] public long Seq { get; init; }
    [Id(1)] public DateTimeOffset SentAt { get; init; }
    [Id(2)] public bool Duplicate { get; init; }
}

/// <summary>Answer to <c>JoinConsultation</c> and <c>AcceptOffer</c>.</summary>
[GenerateSerializer, Alias("Hotline.JoinResult")]
public sealed record JoinResult
{
    [Id(0)] public required ConsultationView Consultation { get; init; }
    [Id(1)] public IReadOnlyList<MessageView> Missed { get; init; } = [];
}

/// <summary>A lawyer in the roster (<c>LawyerView</c>).</summary>
[GenerateSerializer, Alias("Hotline.LawyerView")]
public sealed record LawyerView
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required string Username { get; init; }
    [Id(2)] public string DisplayName { get; init; } = "";
    [Id(3)] public IReadOnlyList<string> Skills { get; init; } = [];
    [Id(4)] public IReadOnlyList<string> Dialects { get; init; } = [];
    [Id(5)] public int Capacity { get; init; }
    [Id(6)] public LawyerStatus Status { get; init; }
    [Id(7)] public int ActiveCount { get; init; }
    [Id(8)] public bool Connected { get; init; }
    /// <summary>Employer names the lawyer has a conflict of interest with (as written).</summary>
    [Id(40)] public IReadOnlyList<string> Conflicts { get; init; } = [];
    [Id(41)] public bool Disabled { get; init; }
}

/// <summary>A lawyer's private note on a consultation (lawyers and admins only).</summary>
[GenerateSerializer, Alias("Hotline.NoteView")]
public sealed record NoteView
{
    [Id(0)] public required string ConsultationId { get; init; }
    [Id(1)] public required string LawyerId { get; init; }
    [Id(2)] public string LawyerName { get; init; } = "";
    [Id(3)] public required string Text { get; init; }
    [Id(4)] public DateTimeOffset At { get; init; }
}
