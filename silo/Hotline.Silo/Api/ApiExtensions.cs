using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.RateLimiting;
using Hotline.Abstractions;
using Hotline.Silo.Security;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Scalar.AspNetCore;

namespace Hotline.Silo.Api;

/// <summary>Sets up and maps the REST side of the public API: auth, rate limits, problems, REST endpoints, static pages, OpenAPI.
/// Hubs (<c>Hubs/</c>) and the process around it (<c>Hosting/</c>) build on this, never the other way round.</summary>
public static class ApiExtensions
{
    public const string RestPolicy = "rest";
    public const string ParticipantPolicy = "participant";
    /// <summary>Anonymous worker tokens: partitioned by client address, apart from logins.</summary>
    public const string WorkerTokenPolicy = "worker-token";
    /// <summary>Logins: partitioned by client address, apart from worker tokens (usernames get their own backoff).</summary>
    public const string LoginPolicy = "login";
    /// <summary>Transcript readers: participants and admins (admins only under a grant, checked by the grain).</summary>
    public const string ReaderPolicy = "reader";
    /// <summary>Resume codes, issued and redeemed: partitioned by client address (guessing a code costs a minute per few tries).</summary>
    public const string ResumePolicy = "resume";

    /// <summary>JSON as the contract wants it: camelCase, enums as snake_case strings.</summary>
    public static void Configure(JsonSerializerOptions json)
    {
        json.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        json.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        json.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
    }

    /// <param name="builder">The web application.</param>
    /// <param name="seeds">The catalog, canned replies and admin account.</param>
    /// <param name="key">The JWT signing key (<see cref="TokenService.LoadKey"/>).</param>
    public static WebApplicationBuilder AddHotlineApi(this WebApplicationBuilder builder, SeedFiles seeds, SymmetricSecurityKey key)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddSingleton(seeds);
        services.AddSingleton(seeds.Catalog);
        services.AddSingleton<GrainCalls>();
        services.AddSingleton<DutyService>();
        services.AddSingleton<PushEndpointRules>();
        services.AddSingleton<TokenRevocation>();
        var adminPassword = configuration["Hotline:Admin:Password"] ?? seeds.Admin.Password;
        services.AddSingleton(new AdminAccount(
            configuration["Hotline:Admin:Username"] ?? seeds.Admin.Username,
            PasswordHasher.Hash(adminPassword),
            seeds.Admin.DisplayName,
            // Admin tokens carry a fingerprint of the configured password: a new password retires the old tokens.
            BitConverter.ToInt32(System.Security.Cryptography.HMACSHA256.HashData(key.Key, System.Text.Encoding.UTF8.GetBytes("admin:" + adminPassword)), 0) & int.MaxValue));
        services.AddSingleton(sp => new TokenService(key, sp.GetRequiredService<TimeProvider>()));
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer(o =>
            {
                o.MapInboundClaims = false;
                o.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = TokenService.Issuer,
                    ValidAudience = TokenService.Issuer,
                    IssuerSigningKey = key,
                    NameClaimType = Roles.NameClaim,
                    RoleClaimType = Roles.RoleClaim,
                    ClockSkew = TimeSpan.FromSeconds(30),
                };
                // SignalR sends the token as access_token in the query string (WebSockets cannot set headers).
                o.Events = new JwtBearerEvents
                {
                    OnMessageReceived = ctx =>
                    {
                        if (ctx.Request.Path.StartsWithSegments("/hubs") && ctx.Request.Query.TryGetValue("access_token", out var token))
                            ctx.Token = token;
                        return Task.CompletedTask;
                    },
                    // Revocation: an erased worker's, or a disabled / re-passworded lawyer's, tokens stop working.
                    OnTokenValidated = async ctx =>
                    {
                        var revocation = ctx.HttpContext.RequestServices.GetRequiredService<TokenRevocation>();
                        if (ctx.Principal is null || !await revocation.IsCurrent(ctx.Principal)) ctx.Fail("token revoked");
                    },
                };
            })
            .AddScheme<GatewayApiKeyOptions, ApiKeyAuthenticationHandler>(Roles.ApiKeyScheme, o => o.ApiKey = configuration["Hotline:Gateway:ApiKey"] ?? "dev-gateway-key-12351");
        // Tokens are issued on the application's clock (TokenService); validate their lifetime on the same clock. The skew
        // covers a silo whose clock is a little behind the issuer's (a token fresh from another silo), not the expiry: an
        // open hub connection is closed at its token's expiry (CloseOnAuthenticationExpiration), and a reconnect after it
        // must be refused, not accepted for another half minute and closed again.
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<TimeProvider>((o, time) =>
        {
            o.TimeProvider = time;
            o.TokenValidationParameters.LifetimeValidator = (notBefore, expires, _, p) =>
            {
                var now = time.GetUtcNow().UtcDateTime;
                return expires is { } exp && exp.ToUniversalTime() >= now
                    && (notBefore is not { } nbf || nbf.ToUniversalTime() <= now + p.ClockSkew);
            };
        });
        services.AddAuthorizationBuilder()
            .AddPolicy(Roles.Worker, p => p.RequireRole(Roles.Worker))
            .AddPolicy(Roles.Lawyer, p => p.RequireRole(Roles.Lawyer))
            .AddPolicy(Roles.Admin, p => p.RequireRole(Roles.Admin))
            .AddPolicy(ParticipantPolicy, p => p.RequireRole(Roles.Worker, Roles.Lawyer))
            .AddPolicy(ReaderPolicy, p => p.RequireRole(Roles.Worker, Roles.Lawyer, Roles.Admin))
            .AddPolicy(Roles.Gateway, p => p.AddAuthenticationSchemes(Roles.ApiKeyScheme).RequireRole(Roles.Gateway));

        services.Configure<RateLimitOptions>(configuration.GetSection("Hotline:RateLimits"));
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(RestPolicy, http =>
            {
                var limits = http.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
                // The gateway (authenticated by its key before this runs) carries the whole phone line: a person's bucket
                // would refuse intakes and hangups of a busy line (a caller never queued, a call left live).
                if (http.User.IsInRole(Roles.Gateway))
                    return RateLimitPartition.GetTokenBucketLimiter("gateway", _ => HubUserLimiter.Bucket(limits.GatewayPerSecond, limits.GatewayBurst));
                var partition = http.User.FindFirst(Roles.SubjectClaim)?.Value ?? http.Connection.RemoteIpAddress?.ToString() ?? "anonymous";
                return RateLimitPartition.GetTokenBucketLimiter(partition, _ => HubUserLimiter.Bucket(limits.RestPerSecond, limits.RestBurst));
            });
            // Separate partitions, so that a login flood from one address never stops workers (from any address) getting
            // tokens. The client address is the socket's, or X-Forwarded-For from Hotline:Network:KnownProxies only.
            o.AddPolicy(WorkerTokenPolicy, http =>
            {
                var limits = http.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
                return RateLimitPartition.GetTokenBucketLimiter("wt:" + ClientAddress(http),
                    _ => PerMinute(limits.WorkerTokensPerAddressPerMinute));
            });
            o.AddPolicy(LoginPolicy, http =>
            {
                var limits = http.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
                return RateLimitPartition.GetTokenBucketLimiter("login:" + ClientAddress(http), _ => PerMinute(limits.LoginsPerAddressPerMinute));
            });
            o.AddPolicy(ResumePolicy, http =>
            {
                var limits = http.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
                return RateLimitPartition.GetTokenBucketLimiter("resume:" + ClientAddress(http), _ => PerMinute(limits.ResumePerAddressPerMinute));
            });
        });

        services.ConfigureHttpJsonOptions(o => Configure(o.SerializerOptions));
        services.AddProblemDetails();
        services.AddOpenApi();
        return builder;
    }

    /// <summary>The client's address (after forwarded headers from trusted proxies only).</summary>
    public static string ClientAddress(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    private static TokenBucketRateLimiterOptions PerMinute(int perMinute) => new()
    {
        TokenLimit = Math.Max(1, perMinute),
        TokensPerPeriod = Math.Max(1, perMinute),
        ReplenishmentPeriod = TimeSpan.FromMinutes(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    public static WebApplication MapHotlineApi(this WebApplication app)
    {
        app.UseHotlineProblems();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseWebSockets();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();

        app.MapAuthEndpoints();
        app.MapGet("/api/catalog", (Catalog catalog) => catalog).WithTags("catalog");
        app.MapGet("/api/canned-replies", (SeedFiles seeds) => seeds.CannedReplies).RequireAuthorization(Roles.Lawyer).WithTags("catalog");
        app.MapConsultationEndpoints();
        app.MapGatewayEndpoints();
        app.MapDutyEndpoints();
        app.MapPushEndpoints();
        app.MapResumeEndpoints();
        app.MapReportEndpoints();
        app.MapAdminEndpoints();
        app.MapPrivacyEndpoints();
        app.MapUnionEndpoints();
        app.MapLawyerManagementEndpoints();
        app.MapDiagnosticsEndpoints();
        // OpenAPI and Scalar: on in Development, off elsewhere unless Hotline:Ops:ApiDocs=true.
        if (OperatorTools.ApiDocsEnabled(app.Configuration, app.Environment))
        {
            app.MapOpenApi();
            app.MapScalarApiReference();
        }
        return app;
    }
}
