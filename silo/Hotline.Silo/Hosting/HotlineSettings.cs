namespace Hotline.Silo.Hosting;

/// <summary>Host settings read from configuration (section <c>Hotline</c>, connection strings, <c>Orleans</c>).</summary>
public sealed class HotlineSettings
{
    public required string DataPath { get; init; }
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

    /// <summary>Cluster mode is on when both PostgreSQL and Redis are configured (shared/contract.md).</summary>
    public bool ClusterMode => !string.IsNullOrWhiteSpace(PostgresConnectionString) && !string.IsNullOrWhiteSpace(RedisConnectionString);

    public static HotlineSettings From(IConfiguration configuration) => new()
    {
        DataPath = Path.GetFullPath(configuration["Hotline:DataPath"] ?? "data"),
        PostgresConnectionString = configuration.GetConnectionString("Postgres"),
        RedisConnectionString = configuration.GetConnectionString("Redis"),
        SiloPort = configuration.GetValue("Orleans:SiloPort", 11111),
        GatewayPort = configuration.GetValue("Orleans:GatewayPort", 30000),
        ClusterId = configuration["Orleans:ClusterId"] ?? "hotline12351",
        ServiceId = configuration["Orleans:ServiceId"] ?? "hotline12351",
        AdvertisedAddress = ResolveAddress(configuration["Orleans:AdvertisedIP"]),
        ListenOnAnyAddress = configuration.GetValue("Orleans:ListenOnAnyAddress", false),
    };

    /// <summary>An IP literal, or a host name resolved once at start (a container's own name in docker compose).</summary>
    private static System.Net.IPAddress ResolveAddress(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return System.Net.IPAddress.Loopback;
        if (System.Net.IPAddress.TryParse(value, out var ip)) return ip;
        return System.Net.Dns.GetHostAddresses(value).First(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
    }
}
