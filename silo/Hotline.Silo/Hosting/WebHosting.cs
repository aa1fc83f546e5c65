using Hotline.Silo.Api;
using Hotline.Silo.Hubs;
using Hotline.Silo.Security;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Dashboard;

namespace Hotline.Silo.Hosting;

/// <summary>
/// The web side of the process: REST (<c>Api/</c>), hubs (<c>Hubs/</c>), health, dashboard, banner. Folders depend one
/// way: Hosting -> Hubs -> Api -> Security.
/// </summary>
public static class WebHosting
{
    public static WebApplicationBuilder AddHotlineWeb(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var settings = HotlineSettings.From(configuration);
        var seeds = SeedFiles.Load(configuration["Hotline:SeedsPath"]);
        var key = TokenService.LoadKey(configuration["Hotline:Jwt:SigningKey"], settings.DataPath, settings.ClusterMode);
        builder.AddHotlinePrivacy();
        PrivacyHosting.AddPhoneProtection(builder.Services, configuration, settings, key.Key);
        builder.AddHotlineApi(seeds, key);
        builder.Services.AddHotlineHubs(settings.ClusterMode ? settings.RedisConnectionString : null);
        builder.Services.AddSingleton<Readiness>();
        builder.Services.AddHealthChecks().AddCheck<ReadinessCheck>("ready", tags: ["ready"]);
        return builder;
    }

    public static WebApplication MapHotlineWeb(this WebApplication app)
    {
        app.UseHotlineSecurity();
        app.MapHotlineApi();
        app.MapHotlineHubs();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        if (PrivacyHosting.DashboardEnabled(app.Configuration, app.Environment)) app.MapOrleansDashboard(routePrefix: "/dashboard");
        app.Lifetime.ApplicationStarted.Register(() => StartupBanner.Print(app));
        return app;
    }

    private sealed class ReadinessCheck(Readiness readiness) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
            => Task.FromResult(readiness.Ready ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("starting"));
    }
}
