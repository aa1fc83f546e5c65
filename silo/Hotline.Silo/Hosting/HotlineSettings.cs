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
    };
}
