using Hotline.Domain;

namespace Hotline.Abstractions;

/// <summary><c>Offer</c> event to a lawyer.</summary>
[GenerateSerializer, Alias("Hotline.OfferEvent")]
public sealed record OfferEvent
{
    [Id(0)] public required string ConsultationId { get; init; }
    [Id(1)] public required string Category { get; init; }
    [Id(2)] public required string Dialect { get; init; }
    [Id(3)] public Channel Channel { get; init; }
    [Id(4)] public string Summary { get; init; } = "";
    [Id(5)] public double WaitedSeconds { get; init; }
    [Id(6)] public DateTimeOffset ExpiresAt { get; init; }
}

/// <summary><c>OfferRevoked</c> event to a lawyer.</summary>
[GenerateSerializer, Alias("Hotline.OfferRevokedEvent")]
public sealed record OfferRevokedEvent([property: Id(0)] string ConsultationId, [property: Id(1)] OfferRevokeReason Reason);

/// <summary><c>QueueUpdate</c> event to a waiting worker: no estimate (null) when no eligible lawyer is online.</summary>
[GenerateSerializer, Alias("Hotline.QueueUpdateEvent")]
public sealed record QueueUpdateEvent([property: Id(0)] string ConsultationId, [property: Id(1)] int Position, [property: Id(2)] int? EstimatedWaitSeconds,
    [property: Id(3)] int LawyersOnline);

/// <summary><c>Assigned</c> event to the worker and the lawyer.</summary>
[GenerateSerializer, Alias("Hotline.AssignedEvent")]
public sealed record AssignedEvent([property: Id(0)] string ConsultationId, [property: Id(1)] string LawyerId, [property: Id(2)] string LawyerName);

/// <summary>
/// <c>MessageWithdrawn</c> event to the participants: the <c>Message</c> pushed for this seq while its durable write was
/// still running (early delivery) was not stored. Clients remove the message at <paramref name="Seq"/> if its
/// clientMessageId is <paramref name="ClientMessageId"/>; the sender got an error instead of an ack and resends it.
/// </summary>
[GenerateSerializer, Immutable, Alias("Hotline.MessageWithdrawnEvent")]
public sealed record MessageWithdrawnEvent([property: Id(0)] string ConsultationId, [property: Id(1)] long Seq, [property: Id(2)] string ClientMessageId);

/// <summary><c>Typing</c> event to the other participants.</summary>
[GenerateSerializer, Alias("Hotline.TypingEvent")]
public sealed record TypingEvent([property: Id(0)] string ConsultationId, [property: Id(1)] ParticipantRole Role);

/// <summary><c>StatusChanged</c> event to participants; a lawyer's close carries the resolution and the advice to the worker.</summary>
[GenerateSerializer, Alias("Hotline.StatusChangedEvent")]
public sealed record StatusChangedEvent([property: Id(0)] string ConsultationId, [property: Id(1)] ConsultationStatus Status,
    [property: Id(2)] Resolution? Resolution = null, [property: Id(3)] string? Advice = null);
