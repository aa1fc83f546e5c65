using Hotline.Abstractions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hotline.Grains;

/// <summary>
/// The reconciliation that runs by itself: every <see cref="GrainOptions.ReconcileSeconds"/> (and soon after it
/// activates, so right after a restart or failover) it asks every consultation the router knows to compare itself with
/// the router and repair (see <c>ConsistencyRules</c>). The commands are ordered so that a single crash always leaves
/// the router holding the entry, so these are the consultations that can disagree. Kept alive by
/// <c>HotlineStartup</c>'s pings like the router. Holds no state.
/// </summary>
public sealed class ConsistencyGrain(IOptions<GrainOptions> options, TimeProvider time, ILogger<ConsistencyGrain> logger) : Grain, IConsistencyGrain
{
    private const int Parallelism = 16;
    private IGrainTimer? _timer;

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

    public async Task<ConsistencyReport> Check(bool repair)
    {
        var entries = await GrainFactory.GetGrain<IRouterGrain>(GrainKeys.Hotline).GetEntries();
        var mismatches = new List<ConsistencyMismatch>();
        foreach (var chunk in entries.Chunk(Parallelism))
        {
            var found = await Task.WhenAll(chunk.Select(e => GrainFactory.GetGrain<IConsultationGrain>(e.ConsultationId).CheckConsistency(repair)));
            mismatches.AddRange(found.OfType<ConsistencyMismatch>());
        }
        return new ConsistencyReport { CheckedAt = time.GetUtcNow(), Consultations = entries.Count, Mismatches = mismatches };
    }

    private async Task Reconcile(CancellationToken cancellationToken)
    {
        try
        {
            var report = await Check(repair: true);
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
