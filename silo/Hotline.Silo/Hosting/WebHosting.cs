using Hotline.Abstractions;
using Hotline.Silo.Api;
using Hotline.Silo.Hubs;
using Hotline.Silo.Security;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Dashboard;

namespace Hotline.Silo.Hosting;

/// <summary>
/// The web side of the process, by mode: REST (<c>Api/</c>), hubs (<c>Hubs/</c>), health, dashboard, banner in combined
/// and front mode; only health (and the push side of SignalR, so grains reach the fronts' connections) in silo mode.
/// Folders depend one way: Hosting -> Hubs -> Api -> Security.
/// </summary>
public static class WebHosting
{
    public static WebApplicationBuilder AddHotlineWeb(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var settings = HotlineSettings.From(configuration);
        var seeds = SeedFiles.Load(configuration["Hotline:SeedsPath"]);
        var redis = settings.ClusterMode ? settings.RedisConnectionString : null;
        if (settings.ServesApi)
        {
            var key = TokenService.LoadKey(configuration["Hotline:Jwt:SigningKey"], settings.DataPath, settings.ClusterMode);
            builder.AddHotlinePrivacy();
            PrivacyHosting.AddPhoneProtection(builder.Services, configuration, settings, key.Key);
            builder.AddHotlineApi(seeds, key);
            builder.Services.AddHotlineHubs(redis);
        }
        else
        {
            // Silo mode: grains push through the Redis backplane to whichever front holds the connection.
            builder.Services.AddSingleton(seeds);
            builder.Services.AddHotlinePushes(redis);
        }
        // Web Push: the fronts serve the key and take subscriptions, the silos send (WebPushGrain).
        if (WebPushKeys.Load(configuration, settings.DataPath, settings.ClusterMode) is { } pushKeys) builder.Services.AddSingleton(pushKeys);
        builder.Services.AddSingleton<IWebPushSender>(sp => new WebPushSender(sp.GetService<WebPushKeys>(), sp.GetRequiredService<ILogger<WebPushSender>>()));
        builder.Services.AddSingleton<Readiness>();
        builder.Services.AddHealthChecks().AddCheck<ReadinessCheck>("ready", tags: ["ready"]);
        return builder;
    }

    public static WebApplication MapHotlineWeb(this WebApplication app)
    {
        var settings = app.Services.GetRequiredService<HotlineSettings>();
        if (settings.ServesApi)
        {
            app.UseHotlineSecurity();
            app.UseHeadAsGet();
            app.UseRouting();
            app.MapHotlineApi();
            // REST writes answer unavailable while the Redis backplane does not (hub calls do in HubErrorFilter).
            app.UseBackplaneGate();
            app.MapHotlineHubs();
            if (OperatorTools.DashboardEnabled(app.Configuration, app.Environment)) app.MapOrleansDashboard(routePrefix: "/dashboard");
            if (settings.Mode == HostMode.Front)
            {
                // Re-assert this front's lawyer connections as soon as it reaches the cluster again; repeat idempotent calls
                // that went through a gateway that is gone rather than wait out the response timeout.
                var cluster = app.Services.GetRequiredService<ClusterConnection>();
                cluster.Recovered += app.Services.GetRequiredService<LawyerConnectionRegistry>().RenewNow;
                cluster.GatewayLost += app.Services.GetRequiredService<GrainCalls>().AbandonInFlight;
            }
            app.Lifetime.ApplicationStarted.Register(() => StartupBanner.Print(app));
        }
        else
        {
            app.Lifetime.ApplicationStarted.Register(() => StartupBanner.PrintSilo(app));
        }
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        return app;
    }

    private sealed class ReadinessCheck(Readiness readiness) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
            => Task.FromResult(readiness.Ready ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("starting or stopping"));
    }
}
