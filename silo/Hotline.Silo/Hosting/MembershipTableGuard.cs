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
/// writes it when a silo joins, then raises the table's version above the one it knew (Orleans ignores an older table),
/// but only once every silo it knows as active is back in the table (or after <see cref="WaitForOthers"/>): a silo
/// that reads a table above its version without its own row stops itself.
/// Every silo does so for itself, so the table lists the live silos again within seconds
/// (a silo that died meanwhile is simply not in it), and heartbeats, joins and death votes work again.
/// </para>
/// </summary>
public sealed class MembershipTableGuard(
    IMembershipTable table, ILocalSiloDetails silo, IClusterMembershipService membership,
    IHostApplicationLifetime lifetime, ILogger<MembershipTableGuard> logger) : BackgroundService
{
    /// <summary>How often the table is read.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long a silo waits for the others it knows as active to put their rows back before it raises the rebuilt
    /// table's version anyway (a silo still missing then is taken for dead: it stopped during the outage).
    /// </summary>
    public static readonly TimeSpan WaitForOthers = TimeSpan.FromSeconds(20);

    private static readonly string RoleName = Assembly.GetEntryAssembly()?.GetName().Name ?? "Hotline.Silo";
    private readonly DateTime _startTime = DateTime.UtcNow;
    private int _missing;
    private DateTime? _lostSince;

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
        var known = membership.CurrentSnapshot.Version.Value;
        if (data?.TryGet(silo.SiloAddress) is not null)
        {
            _missing = 0;
            // A rebuilt table starts below the version this silo holds (another silo may have rebuilt it).
            if (data.Version.Version < known) await RaiseVersion(known, cancellationToken);
            else _lostSince = null;
            return;
        }
        _lostSince ??= DateTime.UtcNow;
        if (++_missing < 2) return;
        logger.LogWarning("This silo's row is missing from the membership table ({Table}, this silo knows version {KnownVersion}): " +
                          "the table was lost; putting this silo back", data is null ? "no table" : $"version {data.Version.Version}", known);
        await table.InitializeMembershipTableAsync(true, cancellationToken);
        data = await table.ReadAllAsync(cancellationToken);
        if (data.TryGet(silo.SiloAddress) is null && await table.InsertRowAsync(Entry(), data.Version.Next(), cancellationToken))
        {
            logger.LogWarning("This silo is back in the membership table (version {Version})", data.Version.Next().Version);
            _missing = 0;
            // The others are given their time from now, when the table can be written again, not from when it was lost.
            _lostSince = DateTime.UtcNow;
            await RaiseVersion(known, cancellationToken);
        }
    }

    /// <summary>
    /// Orleans ignores a table (and gossip) whose version is not above the one it holds, so a table rebuilt from version 0
    /// would be ignored by every running silo until joins and deaths had carried it past their old version: a silo
    /// killed meanwhile would never be declared dead in their views. The table's version can only move one step per
    /// write (the provider checks it), so this silo rewrites its own row until the version is above <paramref name="known"/>.
    /// </summary>
    private async Task RaiseVersion(long known, CancellationToken cancellationToken)
    {
        _lostSince ??= DateTime.UtcNow;
        // Orleans reads a table above the version it holds as the truth, and a silo that finds itself missing from it
        // stops. So the version is raised only once every silo this one knows as active has put its own row back (each
        // does within seconds), or when the wait is over (a silo still missing then stopped during the outage).
        var data0 = await table.ReadAllAsync(cancellationToken);
        var absent = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active && data0.TryGet(m.SiloAddress) is null)
            .Select(m => m.SiloAddress.ToString()).ToList();
        if (absent.Count > 0)
        {
            if (DateTime.UtcNow - _lostSince < WaitForOthers) return; // the next round looks again
            logger.LogWarning("Raising the rebuilt membership table without {Absent}: not back within {Wait} s", string.Join(", ", absent), WaitForOthers.TotalSeconds);
        }
        var from = -1;
        for (var attempts = 0; attempts < 100_000; attempts++)
        {
            var data = await table.ReadAllAsync(cancellationToken);
            if (from < 0) from = data.Version.Version;
            if (data.Version.Version > known)
            {
                logger.LogWarning("Membership table version raised from {From} to {Version}, above the {Known} this silo knew", from, data.Version.Version, known);
                _lostSince = null;
                return;
            }
            if (data.TryGet(silo.SiloAddress) is not { } mine) return; // lost again: the next round puts it back
            var entry = mine.Item1;
            entry.IAmAliveTime = DateTime.UtcNow;
            // A concurrent writer (another silo raising it too) makes this fail; the next read sees its step.
            await table.UpdateRowAsync(entry, mine.Item2, data.Version.Next(), cancellationToken);
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
