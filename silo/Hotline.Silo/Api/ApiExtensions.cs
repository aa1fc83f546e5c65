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
        services.AddSingleton(new AdminAccount(
            configuration["Hotline:Admin:Username"] ?? seeds.Admin.Username,
            PasswordHasher.Hash(configuration["Hotline:Admin:Password"] ?? seeds.Admin.Password),
            seeds.Admin.DisplayName));

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
                };
            })
            .AddScheme<GatewayApiKeyOptions, ApiKeyAuthenticationHandler>(Roles.ApiKeyScheme, o => o.ApiKey = configuration["Hotline:Gateway:ApiKey"] ?? "dev-gateway-key-12351");
        services.AddAuthorizationBuilder()
            .AddPolicy(Roles.Worker, p => p.RequireRole(Roles.Worker))
            .AddPolicy(Roles.Lawyer, p => p.RequireRole(Roles.Lawyer))
            .AddPolicy(Roles.Admin, p => p.RequireRole(Roles.Admin))
            .AddPolicy(ParticipantPolicy, p => p.RequireRole(Roles.Worker, Roles.Lawyer))
            .AddPolicy(Roles.Gateway, p => p.AddAuthenticationSchemes(Roles.ApiKeyScheme).RequireRole(Roles.Gateway));

        services.Configure<RateLimitOptions>(configuration.GetSection("Hotline:RateLimits"));
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(RestPolicy, http =>
            {
                var limits = http.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
                var partition = http.User.FindFirst(Roles.SubjectClaim)?.Value ?? http.Connection.RemoteIpAddress?.ToString() ?? "anonymous";
                return RateLimitPartition.GetTokenBucketLimiter(partition, _ => HubUserLimiter.Bucket(limits.RestPerSecond, limits.RestBurst));
            });
        });

        services.ConfigureHttpJsonOptions(o => Configure(o.SerializerOptions));
        services.AddProblemDetails();
        services.AddOpenApi();
        return builder;
    }

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
        app.MapAdminEndpoints();
        app.MapUnionEndpoints();
        app.MapLawyerManagementEndpoints();
        app.MapDiagnosticsEndpoints();
        app.MapOpenApi();
        app.MapScalarApiReference();
        return app;
    }
}
