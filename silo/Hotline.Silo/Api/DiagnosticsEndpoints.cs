using Hotline.Abstractions;
using Hotline.Silo.Security;

namespace Hotline.Silo.Api;

/// <summary>
/// <c>/api/admin/diagnostics/*</c> (admin only): where things run in a cluster. Used by the failover tests to find
/// the silo to kill and by operators to see which silo answers.
/// </summary>
public static class DiagnosticsEndpoints
{
    public static void MapDiagnosticsEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin/diagnostics").RequireAuthorization(Roles.Admin).WithTags("admin");

        // Consultations whose own state and the router's disagree (none in a healthy system). Reports, does not repair:
        // the reconciliation does that by itself every Hotline:Grains:ReconcileSeconds.
        admin.MapGet("/consistency", (IGrainFactory grains, GrainCalls calls)
            => calls.Run(() => grains.GetGrain<IConsistencyGrain>(GrainKeys.Hotline).Check(repair: false)));

        // The silo answering this request.
        // A front (front mode) hosts no silo: 404 not_found.
        admin.MapGet("/silo", (IServiceProvider services) => services.GetService<ILocalSiloDetails>() is { } silo
            ? Results.Ok(new SiloInfo(silo.SiloAddress.ToParsableString(), silo.SiloAddress.Endpoint.Port, silo.ClusterId))
            : Results.Problem(statusCode: 404, extensions: new Dictionary<string, object?> { ["code"] = "not_found" }, detail: "this process is a front, not a silo"));

        // This process's runtime health (soak runs sample it each minute): memory, GC heap, thread pool. With
        // fullGc=true a blocking compacting collection runs first (what dotnet-gcdump does), so the heap figure is the
        // live data: between full collections "heap after the last GC" also holds garbage that gen 2 has not swept yet.
        admin.MapGet("/runtime", (bool? fullGc) =>
        {
            if (fullGc == true)
            {
                System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            }
            return RuntimeInfo.Now();
        });

        // The silo currently hosting a consultation's grain (activating it if needed), or 404 if it is not active.
        admin.MapGet("/grain-host", async (string? consultationId, IGrainFactory grains, GrainCalls calls) =>
        {
            var id = ConsultationIds.Validate(consultationId);
            var grain = grains.GetGrain<IConsultationGrain>(id);
            await calls.Run(() => grain.GetAccess());
            var management = grains.GetGrain<IManagementGrain>(0);
            // Ask every silo's catalog (authoritative), not the directory cache.
            var stats = await calls.Run(() => management.GetDetailedGrainStatistics(null, null));
            var hosts = stats.Where(s => s.GrainId == grain.GetGrainId()).Select(s => s.SiloAddress).Distinct().ToList();
            var address = hosts.Count > 0 ? hosts[0] : await calls.Run(async () => await management.GetActivationAddress(grain));
            return address is null
                ? Results.Problem(statusCode: 404, extensions: new Dictionary<string, object?> { ["code"] = "not_found" }, detail: "no activation")
                : Results.Ok(new GrainHost(id, address.ToParsableString(), address.Endpoint.Port, hosts.Count));
        });
    }

    /// <summary>Runtime figures of the answering silo process (no personal data).</summary>
    public sealed record RuntimeInfo(long WorkingSetBytes, long GcHeapBytes, long GcCommittedBytes, long TotalAllocatedBytes, int Gen0, int Gen1, int Gen2,
        int ThreadPoolThreads, long ThreadPoolQueued, int ProcessThreads, double UptimeSeconds, double GcPauseTotalMs,
        long JitCompiledMethods, double JitTimeMs)
    {
        public static RuntimeInfo Now()
        {
            using var process = System.Diagnostics.Process.GetCurrentProcess();
            var gc = GC.GetGCMemoryInfo();
            // Heap size as of the last collection: steadier than GC.GetTotalMemory, which saws between collections.
            return new RuntimeInfo(process.WorkingSet64, gc.HeapSizeBytes, gc.TotalCommittedBytes, GC.GetTotalAllocatedBytes(),
                GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), ThreadPool.ThreadCount, ThreadPool.PendingWorkItemCount,
                process.Threads.Count, (DateTime.Now - process.StartTime).TotalSeconds, GC.GetTotalPauseDuration().TotalMilliseconds,
                // Methods compiled so far (every tier) and the time spent: a benchmark tells a warmed-up window by them.
                System.Runtime.JitInfo.GetCompiledMethodCount(), System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds);
        }
    }

    public sealed record SiloInfo(string Silo, int SiloPort, string ClusterId);

    public sealed record GrainHost(string ConsultationId, string Silo, int SiloPort, int Activations);
}
