using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.RateLimiting;
using Hotline.Abstractions;
using Hotline.Silo.Hosting;
using Hotline.Silo.Hubs;
using Hotline.Silo.Security;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Orleans.Dashboard;
using Scalar.AspNetCore;

namespace Hotline.Silo.Api;

/// <summary>Sets up and maps the public API: auth, REST, SignalR hubs, static pages, health, OpenAPI, dashboard.</summary>
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

    public static WebApplicationBuilder AddHotlineApi(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        var settings = HotlineSettings.From(configuration);
        var seeds = SeedFiles.Load(configuration["Hotline:SeedsPath"]);
        services.AddSingleton(seeds);
        services.AddSingleton(seeds.Catalog);
        services.AddSingleton<Readiness>();
        services.AddSingleton<GrainCalls>();
        services.AddSingleton(new AdminAccount(
            configuration["Hotline:Admin:Username"] ?? seeds.Admin.Username,
            PasswordHasher.Hash(configuration["Hotline:Admin:Password"] ?? seeds.Admin.Password),
            seeds.Admin.DisplayName));

        var key = TokenService.LoadKey(configuration["Hotline:Jwt:SigningKey"], settings.DataPath, settings.ClusterMode);
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
        services.AddSingleton<HubUserLimiter>();
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
        var signalR = services.AddSignalR(o =>
        {
            o.MaximumReceiveMessageSize = 64 * 1024;
            // Ping every 5 s: well inside the shipped .NET client's 10 s server timeout (fast failover detection) and the
            // browser client's 30 s, so idle connections are never dropped for silence.
            o.KeepAliveInterval = TimeSpan.FromSeconds(5);
            o.EnableDetailedErrors = false;
            o.AddFilter<HubErrorFilter>();
        }).AddJsonProtocol(o => Configure(o.PayloadSerializerOptions));
        // Registered after the stock JSON protocol, so it wins the "json" name: adds the contract's optional arguments.
        services.AddSingleton<Microsoft.AspNetCore.SignalR.Protocol.IHubProtocol, LenientJsonHubProtocol>();
        if (settings.ClusterMode)
            signalR.AddStackExchangeRedis(settings.RedisConnectionString!, o =>
            {
                o.Configuration.ChannelPrefix = StackExchange.Redis.RedisChannel.Literal("hotline12351");
                // Ride out a Redis restart (the client reconnects by itself) instead of failing the silo's start.
                o.Configuration.AbortOnConnectFail = false;
            });
        services.AddSingleton<IUserIdProvider, SubjectUserIdProvider>();

        services.AddProblemDetails();
        services.AddOpenApi();
        services.AddHealthChecks().AddCheck<ReadinessCheck>("ready", tags: ["ready"]);
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
        app.MapDiagnosticsEndpoints();

        app.MapHub<WorkerHub>("/hubs/worker");
        app.MapHub<LawyerHub>("/hubs/lawyer");
        app.MapHub<AdminHub>("/hubs/admin");

        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        app.MapOpenApi();
        app.MapScalarApiReference();
        app.MapOrleansDashboard(routePrefix: "/dashboard");
        app.Lifetime.ApplicationStarted.Register(() => StartupBanner.Print(app));
        return app;
    }

    private sealed class SubjectUserIdProvider : IUserIdProvider
    {
        public string? GetUserId(HubConnectionContext connection) => connection.User?.FindFirst(Roles.SubjectClaim)?.Value;
    }

    private sealed class ReadinessCheck(Readiness readiness) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
            => Task.FromResult(readiness.Ready ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("starting or stopping"));
    }
}
