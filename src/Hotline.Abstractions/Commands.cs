using Hotline.Domain;

namespace Hotline.Abstractions;

/// <summary>Who is calling a grain on behalf of a hub or endpoint; grains enforce access with it. Immutable: not copied on local calls.</summary>
[GenerateSerializer, Immutable, Alias("Hotline.Caller")]
public sealed record Caller([property: Id(0)] ParticipantRole Role, [property: Id(1)] string Id, [property: Id(2)] string Name);

/// <summary>Opens a consultation.</summary>
[GenerateSerializer, Alias("Hotline.OpenConsultation")]
public sealed record OpenConsultation
{
    [Id(0)] public required string WorkerId { get; init; }
    [Id(1)] public string? WorkerName { get; init; }
    [Id(2)] public required string Category { get; init; }
    [Id(3)] public required string Dialect { get; init; }
    [Id(4)] public required string Summary { get; init; }
    [Id(5)] public Channel Channel { get; init; } = Channel.Web;
    [Id(6)] public int Priority { get; init; }
    [Id(7)] public string? CallerNumber { get; init; }
    /// <summary>A phone caller who asked to be called back instead of holding.</summary>
    [Id(20)] public bool Callback { get; init; }
    /// <summary>The employer as the worker wrote it (display form, validated), if given.</summary>
    [Id(40)] public string? Employer { get; init; }
    /// <summary>A catalog region id, if given.</summary>
    [Id(41)] public string? Region { get; init; }
}

/// <summary>Transfer request (<c>Transfer(consultationId, {toCategory?, toLawyerId?, note?})</c>).</summary>
[GenerateSerializer, Alias("Hotline.TransferRequest")]
public sealed record TransferRequest
{
    [Id(0)] public string? ToCategory { get; init; }
    [Id(1)] public string? ToLawyerId { get; init; }
    [Id(2)] public string? Note { get; init; }
}

/// <summary>A lawyer's profile as stored by its grain (password only as a hash).</summary>
[GenerateSerializer, Alias("Hotline.LawyerProfile")]
public sealed record LawyerProfile
{
    [Id(0)] public required string Username { get; init; }
    [Id(1)] public required string DisplayName { get; init; }
    [Id(2)] public required string PasswordHash { get; init; }
    [Id(3)] public IReadOnlyList<string> Skills { get; init; } = [];
    [Id(4)] public IReadOnlyList<string> Dialects { get; init; } = [];
    [Id(5)] public int Capacity { get; init; } = 3;
    /// <summary>Employer names (as written) the lawyer has a conflict of interest with; routed as <see cref="Domain.EmployerName.Key"/>s.</summary>
    [Id(40)] public IReadOnlyList<string> Conflicts { get; init; } = [];
    /// <summary>A disabled lawyer cannot log in, has no connection and gets nothing routed.</summary>
    [Id(41)] public bool Disabled { get; init; }
}

/// <summary>Who may see a consultation: its worker and every lawyer it was ever offered or assigned to.</summary>
[GenerateSerializer, Alias("Hotline.ConsultationAccess")]
public sealed record ConsultationAccess
{
    [Id(0)] public bool Exists { get; init; }
    [Id(1)] public string WorkerId { get; init; } = "";
    [Id(2)] public string? AssignedLawyerId { get; init; }
    [Id(3)] public IReadOnlyList<string> LawyersInvolved { get; init; } = [];
    [Id(4)] public ConsultationStatus Status { get; init; }
}

/// <summary>A grain-level failure with a stable code (<c>validation_failed</c>, <c>not_found</c>, <c>forbidden</c>, <c>conflict</c>...).</summary>
[GenerateSerializer, Alias("Hotline.HotlineException")]
public sealed class HotlineException : Exception
{
    public HotlineException(string code, string message) : base(message) => Code = code;
    [Id(0)] public string Code { get; }
    public static class Codes
    {
        public const string Validation = "validation_failed";
        public const string NotFound = "not_found";
        public const string Forbidden = "forbidden";
        public const string Conflict = "conflict";
        public const string RateLimited = "rate_limited";
        public const string Unavailable = "unavailable";
    }
}
