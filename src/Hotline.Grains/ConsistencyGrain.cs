using Hotline.Abstractions;
using Hotline.Domain;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hotline.Grains;

/// <summary>
/// The reconciliation that runs by itself: every <see cref="GrainOptions.ReconcileSeconds"/> (and soon after it
/// activates, so right after a restart or failover) it asks every consultation the router knows to compare itself with
/// the router and repair (see <c>ConsistencyRules</c>). The commands are ordered so that a single crash always leaves
/// the router holding the entry, so these are the consultations that can disagree. Every
/// <see cref="GrainOptions.StoreReconcileSeconds"/> (and on the admin check) it also asks the store's unfinished
/// consultations, which finds one the router lost. Kept alive by <c>HotlineStartup</c>'s pings like the router. Holds
/// no state.
/// </summary>
public sealed class ConsistencyGrain(IOptions<GrainOptions> options, TimeProvider time, ILogger<ConsistencyGrain> logger) : Grain, IConsistencyGrain
{
    private const int Parallelism = 16;
    private IGrainTimer? _timer;
    private DateTimeOffset? _lastStoreScan;

    public Task Start()
    {
        var period = TimeSpan.FromSeconds(options.Value.ReconcileSeconds);
        if (_timer is null && period > TimeSpan.Zero)
        {
            _timer = this.RegisterGrainTimer(Reconcile, new GrainTimerCreationOptions
            {
                DueTime = TimeSpan.FromSeconds(Math.Min(2, period.TotalSeconds)),
                Period = period,
                KeepAlive = true,
            });
        }
        return Task.CompletedTask;
    }

    public Task<ConsistencyReport> Check(bool repair) => Check(repair, withStore: true);

    private async Task<ConsistencyReport> Check(bool repair, bool withStore)
    {
        var entries = await GrainFactory.GetGrain<IRouterGrain>(GrainKeys.Hotline).GetEntries();
        var open = withStore && ServiceProvider.GetService(typeof(IOpenConsultationStore)) is IOpenConsultationStore store
            ? await store.ListOpenAsync()
            : [];
        var ids = ConsistencyRules.ToCheck(entries.Select(e => e.ConsultationId), open);
        var mismatches = new List<ConsistencyMismatch>();
        foreach (var chunk in ids.Chunk(Parallelism))
        {
            var found = await Task.WhenAll(chunk.Select(id => GrainFactory.GetGrain<IConsultationGrain>(id).CheckConsistency(repair)));
            mismatches.AddRange(found.OfType<ConsistencyMismatch>());
        }
        return new ConsistencyReport { CheckedAt = time.GetUtcNow(), Consultations = ids.Count, Mismatches = mismatches };
    }

    private async Task Reconcile(CancellationToken cancellationToken)
    {
        try
        {
            // The first pass after activation (a restart, a failover) scans the store too, then every StoreReconcileSeconds.
            var now = time.GetUtcNow();
            var storePeriod = TimeSpan.FromSeconds(options.Value.StoreReconcileSeconds);
            var withStore = storePeriod > TimeSpan.Zero && (_lastStoreScan is null || now - _lastStoreScan >= storePeriod);
            if (withStore) _lastStoreScan = now;
            var report = await Check(repair: true, withStore);
            if (report.Mismatches.Count > 0)
                logger.LogWarning("Reconciliation repaired {Count} of {Total} consultations: {Repairs}", report.Mismatches.Count, report.Consultations,
                    string.Join(", ", report.Mismatches.Select(m => $"{m.ConsultationId} {m.Repair}")));
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Reconciliation pass failed; the next one retries");
        }
    }
}
