using System.Reflection;
using Orleans.Clustering.Redis;
using Orleans.Runtime;

namespace Hotline.Silo.Hosting;

/// <summary>
/// Puts this silo back into the Orleans membership table when the table was lost: Redis restarted without its data (a
/// lost volume, a Redis run without AOF). Orleans never deletes the row of a live silo (dead silos' rows stay for days)
/// and never rebuilds a lost table: without this, the silos keep serving with the view they had, but the Redis provider
/// refuses to read a table without its version row, so no silo can join, none can be declared dead, and cluster
/// statistics fail.
/// <para>
/// Every few seconds an active silo reads the table. If its own row was missing at two reads in a row, it writes the
/// table's version row (if missing) and its own row back, as Active, at the table's next version, the way Orleans
/// writes it when a silo joins. Every silo does so for itself, so the table lists the live silos again within seconds
/// (a silo that died meanwhile is simply not in it), and heartbeats, joins and death votes work again.
/// </para>
/// </summary>
public sealed class MembershipTableGuard(
    IMembershipTable table, ILocalSiloDetails silo, IClusterMembershipService membership,
    IHostApplicationLifetime lifetime, ILogger<MembershipTableGuard> logger) : BackgroundService
{
    /// <summary>How often the table is read.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(3);

    private static readonly string RoleName = Assembly.GetEntryAssembly()?.GetName().Name ?? "Hotline.Silo";
    private readonly DateTime _startTime = DateTime.UtcNow;
    private int _missing;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await Task.Delay(Period, stoppingToken); }
            catch (OperationCanceledException) { break; }
            // Only an active silo that is not stopping speaks for itself; joining and leaving are Orleans' own business.
            if (lifetime.ApplicationStopping.IsCancellationRequested || !IsActive()) continue;
            try
            {
                await Check(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Redis down or restarting: the next round tries again (Orleans logs its own table failures).
                logger.LogDebug(e, "Membership table check failed");
            }
        }
    }

    private bool IsActive() =>
        membership.CurrentSnapshot.Members.TryGetValue(silo.SiloAddress, out var me) && me.Status == SiloStatus.Active;

    private async Task Check(CancellationToken cancellationToken)
    {
        var data = await ReadTable(cancellationToken);
        if (data?.TryGet(silo.SiloAddress) is not null)
        {
            _missing = 0;
            return;
        }
        if (++_missing < 2) return;
        logger.LogWarning("This silo's row is missing from the membership table ({Table}, this silo knows version {KnownVersion}): " +
                          "the table was lost; putting this silo back", data is null ? "no table" : $"version {data.Version.Version}",
                          membership.CurrentSnapshot.Version.Value);
        await table.InitializeMembershipTableAsync(true, cancellationToken);
        data = await table.ReadAllAsync(cancellationToken);
        if (data.TryGet(silo.SiloAddress) is null && await table.InsertRowAsync(Entry(), data.Version.Next(), cancellationToken))
        {
            logger.LogWarning("This silo is back in the membership table (version {Version})", data.Version.Next().Version);
            _missing = 0;
        }
    }

    /// <summary>The table, or null when it is gone (its version row missing: the Redis provider refuses to read it).</summary>
    private async Task<MembershipTableData?> ReadTable(CancellationToken cancellationToken)
    {
        try
        {
            return await table.ReadAllAsync(cancellationToken);
        }
        catch (RedisClusteringException)
        {
            return null;
        }
    }

    /// <summary>This silo's row as Orleans writes it when the silo joins.</summary>
    private MembershipEntry Entry() => new()
    {
        SiloAddress = silo.SiloAddress,
        HostName = silo.DnsHostName,
        SiloName = silo.Name,
        Status = SiloStatus.Active,
        ProxyPort = silo.GatewayAddress?.Endpoint?.Port ?? 0,
        RoleName = RoleName,
        SuspectTimes = [],
        StartTime = _startTime,
        IAmAliveTime = DateTime.UtcNow,
    };
}
