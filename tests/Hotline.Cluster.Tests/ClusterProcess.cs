namespace Hotline.Cluster.Tests;

/// <summary>Cluster-mode processes of the built Hotline.Silo.dll: a combined silo (default), a grains-only silo or a
/// front (<c>Hotline:Mode</c>), on the given PostgreSQL and Redis.</summary>
public static class ClusterProcess
{
    public static SiloProcess Start(string name, string folder, string postgres, string redis, string clusterId, string signingKey,
        string mode = "combined", IReadOnlyDictionary<string, string>? environment = null)
    {
        var data = Path.Combine(folder, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(data);
        var env = new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = postgres,
            ["ConnectionStrings__Redis"] = redis,
            ["Orleans__ClusterId"] = clusterId,
            ["Hotline__Jwt__SigningKey"] = signingKey,
            ["Hotline__DataPath"] = data,
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Hotline__Admin__Password"] = HotlineCluster.AdminPassword,
            ["Hotline__Gateway__ApiKey"] = "cluster-test-gateway-key-0123456789",
            ["DOTNET_gcServer"] = "0",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Orleans.Runtime.MembershipService"] = "Information",
            ["Hotline__Mode"] = mode,
        };
        foreach (var (k, v) in LiftedLimits.Environment) env[k] = v;
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) env[k] = v;
        return SiloProcess.Launch(name, env, logPath: data + ".log");
    }
}
