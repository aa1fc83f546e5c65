using Hotline.Abstractions;
using Hotline.Silo.Security;

namespace Hotline.Silo.Api;

/// <summary>The telephony gateway's side of the 12351 line after intake: status polling and hang-up (docs/telephony.md).</summary>
public static class GatewayEndpoints
{
    public static void MapGatewayEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/hotline/calls").RequireRateLimiting(ApiExtensions.RestPolicy).RequireAuthorization(Roles.Gateway).WithTags("gateway");

        // Polled by the IVR to announce the position and the wait, and to bridge the call once a lawyer takes it.
        api.MapGet("/{id}", (string id, IGrainFactory grains, GrainCalls calls)
            => calls.Run(() => grains.GetGrain<IConsultationGrain>(ConsultationIds.Validate(id)).GetCallStatus()));

        // No body, or {callback: false}: the caller left; {callback: true}: keep the place, the lawyer calls back.
        api.MapPost("/{id}/hangup", (string id, HangupRequest? body, IGrainFactory grains, GrainCalls calls)
            => calls.Run(() => grains.GetGrain<IConsultationGrain>(ConsultationIds.Validate(id)).Hangup(body?.Callback ?? false)));
    }
}
