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

        // The silo answering this request.
        // A front (front mode) hosts no silo: 404 not_found.
        admin.MapGet("/silo", (IServiceProvider services) => services.GetService<ILocalSiloDetails>() is { } silo
            ? Results.Ok(new SiloInfo(silo.SiloAddress.ToParsableString(), silo.SiloAddress.Endpoint.Port, silo.ClusterId))
            : Results.Problem(statusCode: 404, extensions: new Dictionary<string, object?> { ["code"] = "not_found" }, detail: "this process is a front, not a silo"));

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

    public sealed record SiloInfo(string Silo, int SiloPort, string ClusterId);

    public sealed record GrainHost(string ConsultationId, string Silo, int SiloPort, int Activations);
}
