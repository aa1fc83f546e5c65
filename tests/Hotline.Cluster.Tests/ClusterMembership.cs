using System.Text.RegularExpressions;

namespace Hotline.Cluster.Tests;

/// <summary>The Orleans membership table as Orleans' Redis clustering stores it: one hash per cluster
/// (<c>{serviceId}/members/{clusterId}</c>), a <c>Version</c> field and one JSON row per silo, keyed by its address.</summary>
public static partial class ClusterMembership
{
    /// <summary>The silo ports of the rows whose status is Active (empty when the table is gone).</summary>
    public static async Task<List<int>> ActiveSilos(RedisServer redis, string clusterId)
    {
        var rows = await Rows(redis, clusterId);
        return rows.Where(r => StatusActive().IsMatch(r.Value)).Select(r => int.Parse(r.Key.Split(':')[1])).ToList();
    }

    /// <summary>Field name to value of the cluster's membership hash (silo rows and <c>Version</c>).</summary>
    public static async Task<Dictionary<string, string>> Rows(RedisServer redis, string clusterId)
    {
        var keys = (await redis.Cli("--scan", "--pattern", "*/members/" + clusterId)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var rows = new Dictionary<string, string>();
        foreach (var key in keys)
        {
            var lines = (await redis.Cli("HGETALL", key)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            for (var i = 0; i + 1 < lines.Length; i += 2) rows[lines[i]] = lines[i + 1];
        }
        return rows;
    }

    /// <summary>Sets the table's version row to <paramref name="version"/>, as a long-lived cluster's table would read.</summary>
    public static async Task SetVersion(RedisServer redis, string clusterId, int version)
    {
        var key = (await redis.Cli("--scan", "--pattern", "*/members/" + clusterId)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Single();
        await redis.Cli("HSET", key, "Version", version.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    // SiloStatus.Active, written by name or by number (3) depending on the serializer settings.
    [GeneratedRegex("\"Status\"\\s*:\\s*(\"Active\"|3)[,}]")]
    private static partial Regex StatusActive();
}
