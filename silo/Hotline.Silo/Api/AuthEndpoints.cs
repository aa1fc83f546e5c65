using System.Security.Claims;
using Hotline.Abstractions;
using Hotline.Domain;
using Hotline.Silo.Security;
using Microsoft.Extensions.Options;

namespace Hotline.Silo.Api;

/// <summary>The admin account: from <c>Hotline:Admin:*</c>, else the demo account in <c>seeds/accounts.json</c>; hashed at start.</summary>
public sealed class AdminAccount(string username, string passwordHash, string displayName, int tokenVersion = 0)
{
    public string Username { get; } = username;
    public string PasswordHash { get; } = passwordHash;
    public string DisplayName { get; } = displayName;
    /// <summary>Derived from the configured password: changing it (and restarting) makes earlier admin tokens stop working.</summary>
    public int TokenVersion { get; } = tokenVersion;
}

/// <summary><c>/api/auth/*</c>: anonymous worker tokens, lawyer and admin login; <c>DELETE /api/workers/me</c>.</summary>
public static class AuthEndpoints
{
    public static readonly TimeSpan WorkerTokenLifetime = TimeSpan.FromDays(30);
    public static readonly TimeSpan StaffTokenLifetime = TimeSpan.FromHours(12);

    public static void MapAuthEndpoints(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/auth").WithTags("auth");

        auth.MapPost("/worker", async (WorkerTokenRequest? body, IGrainFactory grains, GrainCalls calls, TokenService tokens,
            IPhoneNumberProtector phones, IOptions<HotlineLimits> limits) =>
        {
            var name = body?.DisplayName?.Trim();
            Validation.OptionalText(name, "displayName", limits.Value.MaxDisplayNameLength, multiline: false);
            string? phone = null;
            if (!string.IsNullOrWhiteSpace(body?.Phone))
                phone = phones.Protect(PhoneNumbers.Normalize(body.Phone) ?? throw Validation.Failed("phone is not a phone number"));
            var workerId = "w-" + Guid.NewGuid().ToString("N");
            await calls.Run(() => grains.GetGrain<IWorkerGrain>(workerId).Register(string.IsNullOrEmpty(name) ? null : name, phone));
            return Results.Ok(new WorkerTokenResponse(workerId, tokens.Issue(workerId, Roles.Worker, name ?? "", WorkerTokenLifetime)));
        }).RequireRateLimiting(ApiExtensions.WorkerTokenPolicy);

        auth.MapPost("/login", async (LoginRequest body, IGrainFactory grains, GrainCalls calls, TokenService tokens, AdminAccount admin,
            LoginGuard guard, IOptions<HotlineLimits> limits, TimeProvider time, HttpContext http) =>
        {
            var username = body.Username?.Trim() ?? "";
            var password = body.Password ?? "";
            if (username.Length is 0 or > 64 || password.Length == 0 || password.Length > limits.Value.MaxPasswordLength
                || TextRules.FirstForbidden(username, multiline: false) is not null)
                return Problems.Of("unauthorized", "bad username or password");
            if (await calls.Run(() => guard.RetryAfter(username)) is { } wait)
            {
                http.Response.Headers.RetryAfter = Math.Ceiling(wait.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Problems.Of(HotlineException.Codes.RateLimited, "too many failed logins for this account, try again later");
            }

            string? subject = null, role = null, displayName = null, hash;
            var version = 0;
            LawyerProfile? profile = null;
            if (string.Equals(username, admin.Username, StringComparison.OrdinalIgnoreCase))
            {
                (subject, role, displayName, hash, version) = ("admin", Roles.Admin, admin.DisplayName, admin.PasswordHash, admin.TokenVersion);
            }
            else
            {
                var id = GrainKeys.LawyerId(username);
                var lawyer = grains.GetGrain<ILawyerGrain>(id);
                // Only a username the roster knows reaches a lawyer grain: whatever else was typed (a password in the
                // wrong box, a guess) never becomes a grain id, which traces and Orleans' own logs carry, nor an activation.
                var known = await calls.Run(() => grains.GetGrain<IRosterGrain>(GrainKeys.Hotline).Contains(id));
                profile = known ? await calls.Run(() => lawyer.GetProfile()) : null;
                version = profile is null ? -1 : await calls.Run(() => lawyer.GetTokenVersion());
                hash = profile?.PasswordHash ?? PasswordHasher.DummyHash;
                if (profile is not null) (subject, role, displayName) = (id, Roles.Lawyer, profile.DisplayName);
            }
            // An unknown username costs one full hash as well, so timing does not tell which usernames exist.
            var ok = await guard.Verify(password, hash, http.RequestAborted) && subject is not null && version >= 0;
            if (!ok)
            {
                await calls.Run(() => guard.Failed(username));
                await calls.Run(() => AuditLog.Write(grains, new AuditEntry
                {
                    At = time.GetUtcNow(), ActorId = subject ?? "unknown", ActorRole = role ?? "anonymous", Action = AuditActions.LoginFailed,
                }));
                return Problems.Of("unauthorized", "bad username or password");
            }
            await calls.Run(() => guard.Succeeded(username));
            if (profile is not null && PasswordHasher.NeedsRehash(profile.PasswordHash))
            {
                // Hashes from before today's cost setting are upgraded on the next successful login.
                var upgraded = profile with { PasswordHash = await guard.Hash(() => PasswordHasher.Hash(password), http.RequestAborted) };
                await calls.Run(() => grains.GetGrain<ILawyerGrain>(subject!).Register(upgraded, overwrite: true));
            }
            return Results.Ok(new LoginResponse(subject!, role!, displayName!, tokens.Issue(subject!, role!, displayName!, StaffTokenLifetime, version)));
        }).RequireRateLimiting(ApiExtensions.LoginPolicy);

        // A worker's token is their only link to their consultations: a page that is used keeps it alive by renewing it
        // (a fresh 30 days, same identity and version). Only a token that is still valid and current is renewed, and the
        // version is read from the worker's grain, not the cache's "unknown, let through". Staff tokens are not renewed:
        // lawyers and admins sign in with their password for each 12-hour shift.
        auth.MapPost("/renew", async (ClaimsPrincipal user, TokenService tokens, TokenRevocation revocation) =>
        {
            var claims = TokenRevocation.ClaimsOf(user);
            if (!await revocation.IsCurrent(claims, strict: true)) return Problems.Of("unauthorized", "this token was revoked");
            var token = tokens.Issue(claims.Subject!, Roles.Worker, user.FindFirstValue(Roles.NameClaim) ?? "", WorkerTokenLifetime, claims.Version);
            return Results.Ok(new RenewResponse(token, new DateTimeOffset(new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token).ValidTo, TimeSpan.Zero)));
        }).RequireAuthorization(Roles.Worker).RequireRateLimiting(ApiExtensions.RestPolicy);

        app.MapDelete("/api/workers/me", async (ClaimsPrincipal user, IGrainFactory grains, GrainCalls calls, TokenRevocation revocation) =>
        {
            var workerId = user.Id();
            await calls.Run(() => grains.GetGrain<IWorkerGrain>(workerId).Erase());
            revocation.Forget(workerId);
            return Results.NoContent();
        }).RequireAuthorization(Roles.Worker).RequireRateLimiting(ApiExtensions.RestPolicy).WithTags("privacy");
    }
}
