namespace Hotline.Silo.Hosting;

/// <summary>What this process runs (<c>Hotline:Mode</c>): one binary, three roles.</summary>
public enum HostMode
{
    /// <summary>Silo and web server in one process (default; embedded or cluster).</summary>
    Combined,
    /// <summary>Grains only; HTTP serves only <c>/health/*</c>. Needs cluster mode.</summary>
    Silo,
    /// <summary>No grains: an Orleans client of the cluster serving REST, hubs and pages. Needs cluster mode.</summary>
    Front,
}

/// <summary>Host settings read from configuration (section <c>Hotline</c>, connection strings, <c>Orleans</c>).</summary>
public sealed class HotlineSettings
{
    public required string DataPath { get; init; }
    public HostMode Mode { get; init; }
    /// <summary>A <c>Hotline:Mode</c> value that is none of the three, kept for <see cref="Problems"/>.</summary>
    public string? InvalidMode { get; init; }
    public string? PostgresConnectionString { get; init; }
    public string? RedisConnectionString { get; init; }
    public int SiloPort { get; init; }
    public int GatewayPort { get; init; }
    public string ClusterId { get; init; } = "hotline12351";
    public string ServiceId { get; init; } = "hotline12351";
    /// <summary>Cluster mode: the address other silos reach this one at (<c>Orleans:AdvertisedIP</c>, default 127.0.0.1).</summary>
    public System.Net.IPAddress AdvertisedAddress { get; init; } = System.Net.IPAddress.Loopback;
    /// <summary>Cluster mode: listen on all interfaces (containers), not only the advertised address.</summary>
    public bool ListenOnAnyAddress { get; init; }
    /// <summary>Embedded mode: <c>Hotline:Storage:SqliteAutoCheckpointPages</c> (see <see cref="Hotline.Storage.HotlineStorageOptions.SqliteAutoCheckpointPages"/>).</summary>
    public int SqliteAutoCheckpointPages { get; init; } = DefaultAutoCheckpointPages;
    /// <summary>The setting's raw value when it is not a whole number from 1000 to 100,000, kept for <see cref="Problems"/>.</summary>
    public string? InvalidAutoCheckpointPages { get; init; }

    private static readonly int DefaultAutoCheckpointPages = new Hotline.Storage.HotlineStorageOptions().SqliteAutoCheckpointPages;
    // SQLite's own default at the low end; at the high end a WAL of about 400 MB (4 KB pages), past which recovery and
    // the checkpoint at close grow long for no gain.
    private const int MinAutoCheckpointPages = 1000, MaxAutoCheckpointPages = 100_000;

    /// <summary>Cluster mode is on when both PostgreSQL and Redis are configured (shared/contract.md).</summary>
    public bool ClusterMode => !string.IsNullOrWhiteSpace(PostgresConnectionString) && !string.IsNullOrWhiteSpace(RedisConnectionString);

    /// <summary>This process hosts grains (combined or silo).</summary>
    public bool RunsGrains => Mode != HostMode.Front;

    /// <summary>This process serves the public API (combined or front).</summary>
    public bool ServesApi => Mode != HostMode.Silo;

    /// <summary>Invalid combinations of settings, one clear line each (<see cref="SafeStart"/> refuses to start on any).</summary>
    public IEnumerable<string> Problems()
    {
        if (InvalidMode is not null)
            yield return $"Hotline:Mode is '{InvalidMode}': use combined, silo or front";
        else if (Mode != HostMode.Combined && !ClusterMode)
            yield return $"Hotline:Mode={Mode.ToString().ToLowerInvariant()} needs cluster mode: set ConnectionStrings:Postgres and ConnectionStrings:Redis (and the same Orleans:ClusterId as the cluster)";
        if (InvalidAutoCheckpointPages is not null)
            yield return $"Hotline:Storage:SqliteAutoCheckpointPages is '{InvalidAutoCheckpointPages}': use a whole number of pages from {MinAutoCheckpointPages} (SQLite's own default) to {MaxAutoCheckpointPages}";
    }

    public static HotlineSettings From(IConfiguration configuration)
    {
        var mode = configuration["Hotline:Mode"];
        var checkpointPages = configuration["Hotline:Storage:SqliteAutoCheckpointPages"];
        var pages = string.IsNullOrWhiteSpace(checkpointPages) ? DefaultAutoCheckpointPages
            : int.TryParse(checkpointPages.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p)
              && p is >= MinAutoCheckpointPages and <= MaxAutoCheckpointPages ? p : (int?)null;
        var parsed = string.IsNullOrWhiteSpace(mode) ? HostMode.Combined
            : Enum.TryParse<HostMode>(mode.Trim(), ignoreCase: true, out var m) && Enum.IsDefined(m) && !int.TryParse(mode, out _) ? m : (HostMode?)null;
        return new()
        {
            Mode = parsed ?? HostMode.Combined,
            InvalidMode = parsed is null ? mode : null,
            DataPath = Path.GetFullPath(configuration["Hotline:DataPath"] ?? "data"),
            PostgresConnectionString = configuration.GetConnectionString("Postgres"),
            RedisConnectionString = configuration.GetConnectionString("Redis"),
            SiloPort = configuration.GetValue("Orleans:SiloPort", 11111),
            GatewayPort = configuration.GetValue("Orleans:GatewayPort", 30000),
            ClusterId = configuration["Orleans:ClusterId"] ?? "hotline12351",
            ServiceId = configuration["Orleans:ServiceId"] ?? "hotline12351",
            AdvertisedAddress = ResolveAddress(configuration["Orleans:AdvertisedIP"]),
            ListenOnAnyAddress = configuration.GetValue("Orleans:ListenOnAnyAddress", false),
            SqliteAutoCheckpointPages = pages ?? DefaultAutoCheckpointPages,
            InvalidAutoCheckpointPages = pages is null ? checkpointPages : null,
        };
    }

    /// <summary>An IP literal, or a host name resolved once at start (a container's own name in docker compose).</summary>
    private static System.Net.IPAddress ResolveAddress(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return System.Net.IPAddress.Loopback;
        if (System.Net.IPAddress.TryParse(value, out var ip)) return ip;
        return System.Net.Dns.GetHostAddresses(value).First(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
    }
}
