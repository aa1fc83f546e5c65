using Hotline.Domain;

namespace Hotline.Abstractions;

/// <summary>Contract <c>Alert</c>: a collective dispute starting at one employer (admin hub event <c>Alert</c>, <c>/api/admin/alerts</c>).</summary>
[GenerateSerializer, Alias("Hotline.AlertView")]
public sealed record AlertView
{
    [Id(0)] public required string Id { get; init; }
    /// <summary>The employer as the first worker of the alert wrote it.</summary>
    [Id(1)] public required string Employer { get; init; }
    [Id(2)] public string? Region { get; init; }
    [Id(3)] public IReadOnlyList<string> ConsultationIds { get; init; } = [];
    /// <summary>How many distinct workers the alert counts (never who they are).</summary>
    [Id(4)] public int Workers { get; init; }
    [Id(5)] public DateTimeOffset FirstAt { get; init; }
    [Id(6)] public DateTimeOffset LastAt { get; init; }
    [Id(7)] public AlertStatus Status { get; init; }
    /// <summary>The normalised employer key the alert groups by (see <see cref="EmployerName.Key"/>).</summary>
    [Id(8)] public string EmployerKey { get; init; } = "";
    [Id(9)] public DateTimeOffset? AcknowledgedAt { get; init; }
    [Id(10)] public DateTimeOffset? ClosedAt { get; init; }

    /// <summary>The wire shape of a domain alert.</summary>
    public static AlertView From(CollectiveAlert a) => new()
    {
        Id = a.Id,
        Employer = a.Employer,
        Region = a.Region,
        ConsultationIds = a.ConsultationIds.ToList(),
        Workers = a.WorkerIds.Count,
        FirstAt = a.FirstAt,
        LastAt = a.LastAt,
        Status = a.Status,
        EmployerKey = a.EmployerKey,
        AcknowledgedAt = a.AcknowledgedAt,
        ClosedAt = a.ClosedAt,
    };
}

/// <summary>A consultation named an employer at intake (consultation grain -> collective grain).</summary>
[GenerateSerializer, Alias("Hotline.EmployerMentioned")]
public sealed record EmployerMentioned
{
    [Id(0)] public required string ConsultationId { get; init; }
    [Id(1)] public required string WorkerId { get; init; }
    [Id(2)] public required string EmployerKey { get; init; }
    [Id(3)] public required string Employer { get; init; }
    [Id(4)] public string? Region { get; init; }
    [Id(5)] public DateTimeOffset At { get; init; }
}

/// <summary>
/// Collective-dispute detection for the hotline (one activation, key "hotline"): the recent employer mentions within the
/// window and the alerts, durably. Consultations call it when they open and when they are erased or purged; it never
/// calls them back.
/// </summary>
[Alias("Hotline.ICollectiveGrain")]
public interface ICollectiveGrain : IGrainWithStringKey
{
    /// <summary>Records the mention durably; pushes <c>Alert</c> to admins when an alert opens or grows.</summary>
    [Alias("Record")] Task Record(EmployerMentioned mention);
    /// <summary>
    /// Forgets an erased or purged consultation: its mention, its place in alerts, its worker's id (alerts keep the count).
    /// Durable before it returns; pushes <c>Alert</c> for every alert that changed.
    /// </summary>
    [Alias("Forget")] Task Forget(string consultationId, string workerId);
    /// <summary>Other consultations naming the same employer within the window.</summary>
    [Alias("RelatedCount")] Task<int> RelatedCount(string employerKey, string consultationId);
    /// <summary>Ids of the other consultations naming the same employer within the window, newest first.</summary>
    [Alias("Related")] Task<IReadOnlyList<string>> Related(string employerKey, string consultationId);
    [Alias("GetAlerts")] Task<IReadOnlyList<AlertView>> GetAlerts(AlertStatus? status);
    /// <summary><c>not_found</c> for an unknown id.</summary>
    [Alias("GetAlert")] Task<AlertView> GetAlert(string alertId);
    /// <summary><c>not_found</c>, or <c>conflict</c> when the alert is closed.</summary>
    [Alias("Acknowledge")] Task<AlertView> Acknowledge(string alertId, string actorId);
    /// <summary><c>not_found</c> for an unknown id; closing a closed alert changes nothing.</summary>
    [Alias("Close")] Task<AlertView> Close(string alertId, string actorId);
}

/// <summary>
/// Lawyer management and conflicts of interest, implemented by the lawyer grain (same key: the lawyer id). Kept apart from
/// <see cref="ILawyerGrain"/> so the connection and routing surface stays small.
/// </summary>
[Alias("Hotline.ILawyerManagementGrain")]
public interface ILawyerManagementGrain : IGrainWithStringKey
{
    /// <summary>
    /// Applies the given fields (validated by the caller against the catalog; capacity 1..10 checked here). Disabling closes
    /// the lawyer's connections, revokes their offers and sends their active consultations back to routing.
    /// </summary>
    [Alias("Update")] Task<LawyerView> Update(LawyerUpdate update);
    /// <summary>Stores a new password hash (every earlier token stops working when token revocation is on).</summary>
    [Alias("SetPasswordHash")] Task SetPasswordHash(string passwordHash);
    /// <summary>
    /// The lawyer declares a conflict of interest with an employer (display form; <c>validation_failed</c> when it names
    /// nobody). Offers of that employer are revoked and active consultations naming it go back to routing.
    /// </summary>
    [Alias("DeclareConflict")] Task<LawyerView> DeclareConflict(string employer);
}

/// <summary><c>PUT /api/admin/lawyers/{id}</c>: every field optional; validated by the endpoint against the catalog.</summary>
[GenerateSerializer, Alias("Hotline.LawyerUpdate")]
public sealed record LawyerUpdate
{
    [Id(0)] public string? DisplayName { get; init; }
    [Id(1)] public IReadOnlyList<string>? Skills { get; init; }
    [Id(2)] public IReadOnlyList<string>? Dialects { get; init; }
    [Id(3)] public int? Capacity { get; init; }
    /// <summary>Employer names (display form); replaces the list.</summary>
    [Id(4)] public IReadOnlyList<string>? Conflicts { get; init; }
    [Id(5)] public bool? Disabled { get; init; }
}
