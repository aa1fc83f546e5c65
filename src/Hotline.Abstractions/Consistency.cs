using Hotline.Domain;

namespace Hotline.Abstractions;

/// <summary>Where the router has one consultation (<see cref="RouterPlacement.None"/> when it does not know it), and the
/// lawyer it is offered to while it waits.</summary>
[GenerateSerializer, Alias("Hotline.RouterEntry")]
public sealed record RouterEntry(
    [property: Id(0)] string ConsultationId,
    [property: Id(1)] RouterPlacement Placement,
    [property: Id(2)] string? LawyerId,
    [property: Id(3)] string? LawyerName,
    [property: Id(4)] string? OfferedTo = null,
    [property: Id(5)] DateTimeOffset? OfferExpiresAt = null);

/// <summary>
/// The stored consultations that are not finished (queued, offered or active), so that the reconciliation also finds one
/// the router lost. A scan of the store: the reconciliation runs it every <c>Hotline:Grains:StoreReconcileSeconds</c>.
/// </summary>
public interface IOpenConsultationStore
{
    /// <summary>Ids of stored consultations whose status is queued, offered or active.</summary>
    Task<IReadOnlyList<string>> ListOpenAsync(CancellationToken cancellationToken = default);
}

/// <summary>One consultation whose own state and the router's disagree.</summary>
[GenerateSerializer, Alias("Hotline.ConsistencyMismatch")]
public sealed record ConsistencyMismatch
{
    [Id(0)] public string ConsultationId { get; init; } = "";
    /// <summary>The consultation's status; null when it does not exist.</summary>
    [Id(1)] public ConsultationStatus? Status { get; init; }
    [Id(2)] public string? AssignedLawyerId { get; init; }
    /// <summary>Where the router has it: none, queued or active.</summary>
    [Id(3)] public RouterPlacement Router { get; init; }
    /// <summary>The router's assigned lawyer when active there, or the lawyer it is offered to while it waits.</summary>
    [Id(4)] public string? RouterLawyerId { get; init; }
    /// <summary>The repair that makes them agree.</summary>
    [Id(5)] public ConsistencyRepair Repair { get; init; }
    /// <summary>Whether this check carried the repair out.</summary>
    [Id(6)] public bool Repaired { get; init; }
}

/// <summary><c>GET /api/admin/diagnostics/consistency</c>: consultations checked against the router (those it holds and the
/// store's unfinished ones), and the mismatches.</summary>
[GenerateSerializer, Alias("Hotline.ConsistencyReport")]
public sealed record ConsistencyReport
{
    [Id(0)] public DateTimeOffset CheckedAt { get; init; }
    /// <summary>How many consultations were compared.</summary>
    [Id(1)] public int Consultations { get; init; }
    [Id(2)] public IReadOnlyList<ConsistencyMismatch> Mismatches { get; init; } = [];
}

/// <summary>What a retention purge did to one consultation: <paramref name="Purged"/> now, and the worker to tell (null: not due).</summary>
[GenerateSerializer, Alias("Hotline.PurgeResult")]
public sealed record PurgeResult([property: Id(0)] bool Purged, [property: Id(1)] string? WorkerId);

/// <summary>What a sweep of older data did (<see cref="IRetentionGrain.Sweep"/>): whether it ran, erased consultations it
/// went over, worker records it filed for retention, and records it could not do (kept for the next run).</summary>
[GenerateSerializer, Alias("Hotline.SweepResult")]
public sealed record SweepResult([property: Id(0)] bool Ran, [property: Id(1)] int Erased, [property: Id(2)] int Filed, [property: Id(3)] int Failed);
