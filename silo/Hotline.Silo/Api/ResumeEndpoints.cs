using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Hotline.Abstractions;
using Hotline.Domain;
using Hotline.Silo.Security;

namespace Hotline.Silo.Api;

/// <summary><c>POST /api/auth/resume</c> body.</summary>
public sealed record ResumeRequest(string? Code);

/// <summary>
/// Resume on another device (issue 11, item 5): the worker's page asks for a short code, the worker types it on the
/// other device, which gets a token of the same anonymous worker and so finds the open consultation. A code lives
/// <c>Hotline:Resume:CodeLifetimeSeconds</c> (default 600), is used once, is replaced by a newer one and can be revoked;
/// redeeming is rate-limited per client address (<c>Hotline:RateLimits:ResumePerAddressPerMinute</c>).
/// </summary>
public static class ResumeEndpoints
{
    public static void MapResumeEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/workers/me/resume-code", async (ClaimsPrincipal user, IGrainFactory grains, GrainCalls calls, TokenService tokens,
            IConfiguration configuration, TimeProvider time) =>
        {
            var lifetime = TimeSpan.FromSeconds(Math.Clamp(configuration.GetValue("Hotline:Resume:CodeLifetimeSeconds", 600.0), 1, 3600));
            var worker = grains.GetGrain<IWorkerGrain>(user.Id());
            // A collision with another worker's live code (1 in 2^40 per live code) draws again.
            for (var attempt = 0; attempt < 5; attempt++)
            {
                var code = ResumeCodes.New();
                var expiresAt = time.GetUtcNow() + lifetime;
                if (await calls.Run(() => worker.SetResumeCode(Key(tokens, ResumeCodes.Normalize(code)!), expiresAt)))
                    return Results.Ok(new ResumeCode(code, expiresAt));
            }
            return Problems.Of(HotlineException.Codes.Conflict, "no free code, try again");
        }).RequireAuthorization(Roles.Worker).RequireRateLimiting(ApiExtensions.ResumePolicy).WithTags("resume");

        app.MapDelete("/api/workers/me/resume-code", async (ClaimsPrincipal user, IGrainFactory grains, GrainCalls calls) =>
        {
            await calls.Run(() => grains.GetGrain<IWorkerGrain>(user.Id()).RevokeResumeCode());
            return Results.NoContent();
        }).RequireAuthorization(Roles.Worker).RequireRateLimiting(ApiExtensions.RestPolicy).WithTags("resume");

        app.MapPost("/api/auth/resume", async (ResumeRequest? body, IGrainFactory grains, GrainCalls calls, TokenService tokens) =>
        {
            var canonical = ResumeCodes.Normalize(body?.Code) ?? throw Validation.Failed("code must be 8 letters or digits, e.g. ABCD-EFGH");
            var workerId = await calls.Run(() => grains.GetGrain<IResumeCodeGrain>(Key(tokens, canonical)).Redeem());
            var worker = workerId is null ? null : grains.GetGrain<IWorkerGrain>(workerId);
            var version = worker is null ? -1 : await calls.Run(() => worker.GetTokenVersion());
            // Unknown, expired, used, revoked or erased: one answer for all, so a guess learns nothing.
            if (worker is null || version < 0) return Problems.Of(HotlineException.Codes.NotFound, "unknown or expired code");
            var name = await calls.Run(() => worker.GetDisplayName());
            return Results.Ok(new WorkerTokenResponse(workerId!, tokens.Issue(workerId!, Roles.Worker, name ?? "", AuthEndpoints.WorkerTokenLifetime, version)));
        }).RequireRateLimiting(ApiExtensions.ResumePolicy).WithTags("resume");
    }

    /// <summary>The grain key of a code: a keyed hash (HMAC with the token key), so the store never holds a code.</summary>
    private static string Key(TokenService tokens, string canonical)
        => "rc-" + Convert.ToHexStringLower(HMACSHA256.HashData(tokens.Key.Key, Encoding.UTF8.GetBytes("resume:" + canonical)))[..32];
}
