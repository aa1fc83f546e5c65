using Hotline.Abstractions;
using Hotline.Domain;
using Hotline.Silo.Security;
using System.Security.Claims;

namespace Hotline.Silo.Api;

/// <summary>Union intelligence for admins: collective-dispute alerts (<c>/api/admin/alerts</c>).</summary>
public static class UnionEndpoints
{
    public static void MapUnionEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin").RequireAuthorization(Roles.Admin).RequireRateLimiting(ApiExtensions.RestPolicy).WithTags("union");
        ICollectiveGrain Collective(IGrainFactory grains) => grains.GetGrain<ICollectiveGrain>(GrainKeys.Hotline);

        admin.MapGet("/alerts", (string? status, IGrainFactory grains, GrainCalls calls) =>
        {
            AlertStatus? filter = string.IsNullOrEmpty(status) ? null : WireEnum.Parse<AlertStatus>(status, "status");
            return calls.Run(() => Collective(grains).GetAlerts(filter));
        });

        admin.MapGet("/alerts/{id}", (string id, IGrainFactory grains, GrainCalls calls)
            => calls.Run(() => Collective(grains).GetAlert(AlertId(id))));

        admin.MapPost("/alerts/{id}/acknowledge", (string id, ClaimsPrincipal user, IGrainFactory grains, GrainCalls calls)
            => calls.Run(() => Collective(grains).Acknowledge(AlertId(id), user.Id())));

        admin.MapPost("/alerts/{id}/close", (string id, ClaimsPrincipal user, IGrainFactory grains, GrainCalls calls)
            => calls.Run(() => Collective(grains).Close(AlertId(id), user.Id())));

        // The alert's consultations as metadata for the panel's links (status, category, region, relatedCount): no summary
        // and no worker name, since a transcript is read only through audited access.
        admin.MapGet("/alerts/{id}/consultations", async (string id, IGrainFactory grains, GrainCalls calls) =>
        {
            var alert = await calls.Run(() => Collective(grains).GetAlert(AlertId(id)));
            var views = await Task.WhenAll(alert.ConsultationIds.Select(c => calls.Run(() => grains.GetGrain<IConsultationGrain>(c).GetViewWithRelated())));
            return views.Select(v => v with { Summary = "", WorkerName = null }).ToList();
        });
    }

    /// <summary>Alert ids are <c>al-</c> and digits; anything else is refused before a grain is touched.</summary>
    private static string AlertId(string id) =>
        id.Length is > 3 and <= 24 && id.StartsWith("al-", StringComparison.Ordinal) && id.AsSpan(3).IndexOfAnyExceptInRange('0', '9') < 0
            ? id
            : throw new HotlineException(HotlineException.Codes.Validation, "alert id is malformed");
}
