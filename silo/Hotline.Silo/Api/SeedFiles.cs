using System.Text.Json;

namespace Hotline.Silo.Api;

/// <summary>The JSON files under <c>seeds/</c>: catalog, lawyer roster, demo accounts, canned replies.</summary>
public sealed class SeedFiles
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public required Catalog Catalog { get; init; }
    public required IReadOnlyList<SeedLawyer> Lawyers { get; init; }
    public required SeedAccount Admin { get; init; }
    public required IReadOnlyList<CannedReply> CannedReplies { get; init; }
    /// <summary>Weekly duty shifts (<c>seeds/duty.json</c>); none when the file is missing.</summary>
    public IReadOnlyList<DutyShiftSeed> Duty { get; init; } = [];

    /// <summary>Loads the seeds next to the binaries (copied at build), else from the repository's <c>seeds/</c>.</summary>
    public static SeedFiles Load(string? folder = null)
    {
        folder ??= new[] { Path.Combine(AppContext.BaseDirectory, "seeds"), Path.Combine(Directory.GetCurrentDirectory(), "seeds") }
            .FirstOrDefault(Directory.Exists) ?? throw new DirectoryNotFoundException("seeds/ folder not found");
        T Read<T>(string file) => JsonSerializer.Deserialize<T>(File.ReadAllText(Path.Combine(folder, file)), Json)
            ?? throw new InvalidDataException($"seeds/{file} is empty");
        var canned = Path.Combine(folder, "canned-replies.json");
        return new SeedFiles
        {
            Catalog = Read<Catalog>("catalog.json"),
            Lawyers = Read<LawyerSeedFile>("lawyers.json").Lawyers,
            Admin = Read<AccountSeedFile>("accounts.json").Admin,
            CannedReplies = File.Exists(canned) ? Read<CannedReplyFile>("canned-replies.json").Replies : [],
            Duty = File.Exists(Path.Combine(folder, "duty.json")) ? Read<DutyFile>("duty.json").Shifts : [],
        };
    }

    private sealed record LawyerSeedFile(IReadOnlyList<SeedLawyer> Lawyers);
    private sealed record AccountSeedFile(SeedAccount Admin);
    private sealed record CannedReplyFile(IReadOnlyList<CannedReply> Replies);
    private sealed record DutyFile(IReadOnlyList<DutyShiftSeed> Shifts);
}

/// <summary>A demo lawyer from <c>seeds/lawyers.json</c>.</summary>
public sealed record SeedLawyer(string Username, string Password, string DisplayName, IReadOnlyList<string> Skills, IReadOnlyList<string> Dialects, int Capacity);

/// <summary>A demo account from <c>seeds/accounts.json</c>.</summary>
public sealed record SeedAccount(string Username, string Password, string DisplayName);

/// <summary>A weekly shift from <c>seeds/duty.json</c>: day names (monday..sunday) and local times "HH:mm".</summary>
public sealed record DutyShiftSeed(IReadOnlyList<string> Days, string From, string To);
