using Hotline.Domain;

namespace Hotline.Abstractions;

/// <summary>One line of the audit log (<c>AuditEntry</c> of the contract).</summary>
[GenerateSerializer, Alias("Hotline.AuditEntry")]
public sealed record AuditEntry
{
    [Id(0)] public DateTimeOffset At { get; init; }
    [Id(1)] public required string ActorId { get; init; }
    [Id(2)] public required string ActorRole { get; init; }
    [Id(3)] public required string Action { get; init; }
    [Id(4)] public string? ConsultationId { get; init; }
    [Id(5)] public string? Reason { get; init; }
}

/// <summary>The audit actions of the contract.</summary>
public static class AuditActions
{
    public const string AccessGranted = "access_granted";
    public const string ReadTranscript = "read_transcript";
    public const string ReadNotes = "read_notes";
    public const string Export = "export";
    public const string Erase = "erase";
    public const string Purge = "purge";
    public const string LoginFailed = "login_failed";
    public const string LawyerChanged = "lawyer_changed";
}

/// <summary>Answer of <c>POST /api/admin/consultations/{id}/access</c>.</summary>
[GenerateSerializer, Alias("Hotline.AccessGrantView")]
public sealed record AccessGrantView([property: Id(0)] string ConsultationId, [property: Id(1)] DateTimeOffset Until);

/// <summary>
/// The audit log, one grain per UTC day (key <c>audit-yyyy-MM-dd</c>), so that no single state grows without end and a
/// query for a period reads only its days. Entries are durable before <see cref="Record"/> returns.
/// </summary>
[Alias("Hotline.IAuditGrain")]
public interface IAuditGrain : IGrainWithStringKey
{
    [Alias("Record")] Task Record(AuditEntry entry);
    /// <summary>Entries of this day within [from, to], optionally of one consultation.</summary>
    [Alias("Query")] Task<IReadOnlyList<AuditEntry>> Query(DateTimeOffset from, DateTimeOffset to, string? consultationId);
}

/// <summary>Writing to and reading the audit log.</summary>
public static class AuditLog
{
    /// <summary>Longest period one query may span.</summary>
    public static readonly TimeSpan MaxQuerySpan = TimeSpan.FromDays(400);

    public static string DayKey(DateTimeOffset at) => "audit-" + at.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    public static Task Write(IGrainFactory grains, AuditEntry entry) => grains.GetGrain<IAuditGrain>(DayKey(entry.At)).Record(entry);

    /// <summary>Every entry in [from, to], newest first.</summary>
    public static async Task<IReadOnlyList<AuditEntry>> Read(IGrainFactory grains, DateTimeOffset from, DateTimeOffset to, string? consultationId)
    {
        var days = new List<Task<IReadOnlyList<AuditEntry>>>();
        for (var day = from.UtcDateTime.Date; day <= to.UtcDateTime; day = day.AddDays(1))
            days.Add(grains.GetGrain<IAuditGrain>(DayKey(day)).Query(from, to, consultationId));
        var all = await Task.WhenAll(days);
        return all.SelectMany(d => d).OrderByDescending(e => e.At).ToList();
    }
}

/// <summary>
/// Phone numbers: a keyed hash for ids (HMAC with a server secret) and encryption at rest; implemented by the host
/// (ASP.NET Core Data Protection). Grains call <see cref="Unprotect"/> only to show the number to the assigned lawyer.
/// </summary>
public interface IPhoneNumberProtector
{
    /// <summary>The worker id of a phone caller: <c>w-tel-</c> and a keyed hash; the number cannot be recovered from it.</summary>
    string WorkerIdFor(string normalizedNumber);
    /// <summary>A keyed hash (HMAC) of any value that must not be stored as such (client addresses in counter keys).</summary>
    string KeyedHash(string value);
    /// <summary>The number encrypted for storage.</summary>
    string Protect(string normalizedNumber);
    /// <summary>The number back, or null if the ciphertext cannot be read (key lost, erased).</summary>
    string? Unprotect(string? protectedNumber);
}

/// <summary>
/// Failed-login backoff of one username for the whole cluster (key: a hash of the lowercased username, so no username
/// appears in grain ids or logs). Every front asks the same activation, so spreading attempts over fronts gains nothing.
/// </summary>
[Alias("Hotline.ILoginThrottleGrain")]
public interface ILoginThrottleGrain : IGrainWithStringKey
{
    /// <summary>How long this username must still wait, or null.</summary>
    [Alias("RetryAfter")] Task<TimeSpan?> RetryAfter();
    /// <summary>Counts a failure; after <paramref name="freeFailures"/> the wait doubles from 1 s up to <paramref name="maxBackoffSeconds"/>.</summary>
    [Alias("Failed")] Task Failed(int freeFailures, int maxBackoffSeconds);
    /// <summary>A successful login clears the count.</summary>
    [Alias("Succeeded")] Task Succeeded();
}
