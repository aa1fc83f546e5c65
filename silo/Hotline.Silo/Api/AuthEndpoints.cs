using Hotline.Abstractions;
using Hotline.Silo.Security;

namespace Hotline.Silo.Api;

/// <summary>The admin account: from <c>Hotline:Admin:*</c>, else the demo account in <c>seeds/accounts.json</c>; hashed at start.</summary>
public sealed class AdminAccount(string username, string passwordHash, string displayName)
{
    public string Username { get; } = username;
    public string PasswordHash { get; } = passwordHash;
    public string DisplayName { get; } = displayName;
}

/// <summary><c>/api/auth/*</c>: anonymous worker tokens, lawyer and admin login.</summary>
public static class AuthEndpoints
{
    public static readonly TimeSpan WorkerTokenLifetime = TimeSpan.FromDays(30);
    public static readonly TimeSpan StaffTokenLifetime = TimeSpan.FromHours(12);

    public static void MapAuthEndpoints(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/auth").WithTags("auth").RequireRateLimiting(ApiExtensions.RestPolicy);

        auth.MapPost("/worker", async (WorkerTokenRequest? body, IGrainFactory grains, GrainCalls calls, TokenService tokens) =>
        {
            var name = body?.DisplayName?.Trim();
            if (name is { Length: > 50 }) return Problems.Of(HotlineException.Codes.Validation, "displayName is longer than 50 characters");
            if (body?.Phone is { } phone && (phone.Length > 20 || !phone.All(c => char.IsAsciiDigit(c) || c is '+' or '-' or ' ')))
                return Problems.Of(HotlineException.Codes.Validation, "phone is not a phone number");
            var workerId = "w-" + Guid.NewGuid().ToString("N");
            await calls.Run(() => grains.GetGrain<IWorkerGrain>(workerId).Register(string.IsNullOrEmpty(name) ? null : name, body?.Phone));
            return Results.Ok(new WorkerTokenResponse(workerId, tokens.Issue(workerId, Roles.Worker, name ?? "", WorkerTokenLifetime)));
        });

        auth.MapPost("/login", async (LoginRequest body, IGrainFactory grains, GrainCalls calls, TokenService tokens, AdminAccount admin) =>
        {
            if (string.IsNullOrWhiteSpace(body.Username) || string.IsNullOrEmpty(body.Password) || body.Username.Length > 64 || body.Password.Length > 256)
                return Problems.Of("unauthorized", "bad username or password");
            if (string.Equals(body.Username, admin.Username, StringComparison.OrdinalIgnoreCase))
            {
                return PasswordHasher.Verify(body.Password, admin.PasswordHash)
                    ? Results.Ok(new LoginResponse("admin", Roles.Admin, admin.DisplayName, tokens.Issue("admin", Roles.Admin, admin.DisplayName, StaffTokenLifetime)))
                    : Problems.Of("unauthorized", "bad username or password");
            }
            var id = GrainKeys.LawyerId(body.Username);
            var profile = await calls.Run(() => grains.GetGrain<ILawyerGrain>(id).GetProfile());
            if (profile is null || profile.Disabled || !PasswordHasher.Verify(body.Password, profile.PasswordHash))
                return Problems.Of("unauthorized", "bad username or password");
            return Results.Ok(new LoginResponse(id, Roles.Lawyer, profile.DisplayName, tokens.Issue(id, Roles.Lawyer, profile.DisplayName, StaffTokenLifetime)));
        });
    }
}
