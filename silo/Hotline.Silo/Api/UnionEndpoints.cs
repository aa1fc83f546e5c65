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

        // The alert's consultations as metadata for the panel's links (status, category, region, relatedCount): nothing the
        // worker wrote or was told, since that is read only through audited access.
        admin.MapGet("/alerts/{id}/consultations", async (string id, IGrainFactory grains, GrainCalls calls) =>
        {
            var alert = await calls.Run(() => Collective(grains).GetAlert(AlertId(id)));
            var views = await Task.WhenAll(alert.ConsultationIds.Select(c => calls.Run(() => grains.GetGrain<IConsultationGrain>(c).GetViewWithRelated())));
            return views.Select(ConsultationQueries.AdminMetadata).ToList();
        });
    }

    /// <summary>Alert ids are <c>al-</c> and digits; anything else is refused before a grain is touched.</summary>
    private static string AlertId(string id) =>
        id.Length is > 3 and <= 24 && id.StartsWith("al-", StringComparison.Ordinal) && id.AsSpan(3).IndexOfAnyExceptInRange('0', '9') < 0
            ? id
            : throw new HotlineException(HotlineException.Codes.Validation, "alert id is malformed");
}

/// <summary>Closes a lawyer's hub connections held by this process (implemented by the hubs' connection registry).</summary>
public interface ILawyerConnectionCloser
{
    /// <summary>
    /// Aborts every connection of the lawyer on this process; other processes close theirs at their next renewal (a
    /// disabled lawyer, or a connection whose token's version is no longer current).
    /// </summary>
    void AbortLawyer(string lawyerId);
}

/// <summary><c>PUT /api/admin/lawyers/{id}</c> body: every field optional.</summary>
public sealed record UpdateLawyerRequest(string? DisplayName, IReadOnlyList<string>? Skills, IReadOnlyList<string>? Dialects, int? Capacity,
    IReadOnlyList<string>? Conflicts, bool? Disabled);

/// <summary><c>POST /api/admin/lawyers/{id}/password</c> body.</summary>
public sealed record SetPasswordRequest(string? Password);

/// <summary>Lawyer management for admins: edit the roster entry, reset the password, disable.</summary>
public static class LawyerManagementEndpoints
{
    public static void MapLawyerManagementEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin/lawyers").RequireAuthorization(Roles.Admin).RequireRateLimiting(ApiExtensions.RestPolicy).WithTags("admin");

        admin.MapPut("/{id}", async (string id, UpdateLawyerRequest body, ClaimsPrincipal user, IGrainFactory grains, GrainCalls calls, Catalog catalog,
            ILawyerConnectionCloser connections, TokenRevocation revocation, TimeProvider time) =>
        {
            var update = Validate(body, catalog);
            var lawyer = grains.GetGrain<ILawyerManagementGrain>(await Existing(grains, calls, id));
            var view = await calls.Run(() => lawyer.Update(update));
            // Disabling: this process refuses the lawyer's tokens and drops its connections at once, others within seconds.
            // Enabling: this process forgets the refusal at once.
            if (body.Disabled is not null) revocation.Forget(view.Id);
            if (view.Disabled) connections.AbortLawyer(view.Id);
            await Audit(grains, calls, user, time, $"{view.Id}: " + string.Join(", ", Changed(body)));
            return view;
        });

        admin.MapPost("/{id}/password", async (string id, SetPasswordRequest body, ClaimsPrincipal user, IGrainFactory grains, GrainCalls calls,
            ILawyerConnectionCloser connections, TokenRevocation revocation, TimeProvider time) =>
        {
            if (string.IsNullOrEmpty(body.Password) || body.Password.Length is < 8 or > 256)
                throw new HotlineException(HotlineException.Codes.Validation, "password must be 8-256 characters");
            var lawyerId = await Existing(grains, calls, id);
            await calls.Run(() => grains.GetGrain<ILawyerManagementGrain>(lawyerId).SetPasswordHash(PasswordHasher.Hash(body.Password)));
            // The old password's tokens stop working: this process refuses them and drops their connections at once (a
            // connection that makes no call is never refused by the hub filter); other processes at their next renewal.
            revocation.Forget(lawyerId);
            connections.AbortLawyer(lawyerId);
            await Audit(grains, calls, user, time, $"{lawyerId}: password reset");
            return Results.NoContent();
        });
    }

    /// <summary>Names of the fields a PUT sets (never their values: no personal data in the audit reason).</summary>
    private static IEnumerable<string> Changed(UpdateLawyerRequest body)
    {
        if (body.DisplayName is not null) yield return "displayName";
        if (body.Skills is not null) yield return "skills";
        if (body.Dialects is not null) yield return "dialects";
        if (body.Capacity is not null) yield return "capacity";
        if (body.Conflicts is not null) yield return "conflicts";
        if (body.Disabled is { } disabled) yield return disabled ? "disabled" : "enabled";
    }

    private static Task Audit(IGrainFactory grains, GrainCalls calls, ClaimsPrincipal user, TimeProvider time, string reason) =>
        calls.Run(() => AuditLog.Write(grains, new AuditEntry
        {
            At = time.GetUtcNow(), ActorId = user.Id(), ActorRole = Roles.Admin, Action = AuditActions.LawyerChanged, Reason = reason,
        }));

    /// <summary>The lawyer id if such a lawyer exists; <c>not_found</c> otherwise (a PUT never creates a lawyer).</summary>
    private static async Task<string> Existing(IGrainFactory grains, GrainCalls calls, string id)
    {
        if (id.Length is < 4 or > 70 || !id.StartsWith("lw-", StringComparison.Ordinal))
            throw new HotlineException(HotlineException.Codes.NotFound, "lawyer not found");
        var profile = await calls.Run(() => grains.GetGrain<ILawyerGrain>(id).GetProfile());
        return profile is null ? throw new HotlineException(HotlineException.Codes.NotFound, "lawyer not found") : id;
    }

    private static LawyerUpdate Validate(UpdateLawyerRequest body, Catalog catalog)
    {
        static HotlineException Invalid(string message) => new(HotlineException.Codes.Validation, message);
        if (body.DisplayName is { } name) Validation.DisplayName(name);
        if (body.Skills is { } skills && (skills.Count == 0 || skills.Any(s => !catalog.HasCategory(s)))) throw Invalid("skills must be catalog categories");
        if (body.Dialects is { } dialects && (dialects.Count == 0 || dialects.Any(d => !catalog.HasDialect(d)))) throw Invalid("dialects must be catalog dialects");
        if (body.Capacity is < 1 or > 10) throw Invalid("capacity must be between 1 and 10");
        // Conflicts are checked by the lawyer grain (each must name an employer), before anything changes.
        return new LawyerUpdate
        {
            DisplayName = body.DisplayName?.Trim(),
            Skills = body.Skills,
            Dialects = body.Dialects,
            Capacity = body.Capacity,
            Conflicts = body.Conflicts,
            Disabled = body.Disabled,
        };
    }
}
