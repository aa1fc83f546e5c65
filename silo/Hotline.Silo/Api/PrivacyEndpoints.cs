using System.Security.Claims;
using Hotline.Abstractions;
using Hotline.Domain;
using Hotline.Silo.Security;
using Microsoft.Extensions.Options;

namespace Hotline.Silo.Api;

/// <summary><c>POST /api/admin/consultations/{id}/access</c> body.</summary>
public sealed record AccessRequest(string? Reason);

/// <summary>Audited transcript access for admins, the audit log, private notes over REST, and the limits the pages use.</summary>
public static class PrivacyEndpoints
{
    public static void MapPrivacyEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin").RequireAuthorization(Roles.Admin).RequireRateLimiting(ApiExtensions.RestPolicy).WithTags("privacy");

        // An admin reads a transcript only after stating why; the grant lasts 30 minutes and is audited.
        admin.MapPost("/consultations/{id}/access", async (string id, AccessRequest body, ClaimsPrincipal user, IGrainFactory grains, GrainCalls calls,
            IOptions<HotlineLimits> limits) =>
        {
            var consultationId = ConsultationIds.Validate(id);
            var reason = Validation.Text(body.Reason?.Trim(), "reason", limits.Value.MaxReasonLength, limits.Value.MinReasonLength);
            return await calls.Run(() => grains.GetGrain<IConsultationGrain>(consultationId).GrantAdminAccess(user.Id(), reason));
        });

        admin.MapGet("/audit", async (DateTimeOffset? from, DateTimeOffset? to, string? consultationId, IGrainFactory grains, GrainCalls calls, TimeProvider time) =>
        {
            var (start, end) = Validation.Period(from, to, TimeSpan.FromDays(7), AuditLog.MaxQuerySpan, time.GetUtcNow());
            var id = consultationId is null ? null : ConsultationIds.Validate(consultationId);
            return await calls.Run(() => AuditLog.Read(grains, start, end, id));
        });

        // Private notes: the assigned lawyer, a lawyer it left (their own), an admin under a grant (audited).
        app.MapGet("/api/consultations/{id}/notes", (string id, ClaimsPrincipal user, IGrainFactory grains, GrainCalls calls)
            => calls.Run(() => grains.GetGrain<IConsultationGrain>(ConsultationIds.Validate(id)).GetNotes(user.ToCaller())))
            .RequireAuthorization(ApiExtensions.ReaderPolicy).RequireRateLimiting(ApiExtensions.RestPolicy).WithTags("privacy");

        // The pages set their maxlength attributes from here, so they cannot disagree with the server.
        app.MapGet("/api/limits", (IOptions<HotlineLimits> limits) => new
        {
            limits.Value.MaxMessageLength, limits.Value.MaxSummaryLength, limits.Value.MaxNoteLength, limits.Value.MaxCloseTextLength,
            limits.Value.MaxCommentLength, limits.Value.MaxDisplayNameLength, limits.Value.MaxEmployerLength,
            limits.Value.MinReasonLength, limits.Value.MaxReasonLength, limits.Value.MaxOpenPerWorker,
        }).WithTags("catalog");
    }
}
