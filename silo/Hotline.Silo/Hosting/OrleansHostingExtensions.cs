using Hotline.Silo.Security;
using Hotline.Silo.Hubs;
using System.Net;
using Hotline.Abstractions;
using Hotline.Domain;
using Hotline.Grains;
using Hotline.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using Orleans.Dashboard;
using StackExchange.Redis;

namespace Hotline.Silo.Hosting;

/// <summary>
/// Sets up Orleans for the mode: a silo (combined or silo mode; embedded on localhost and SQLite, or cluster with Redis
/// membership and PostgreSQL) or, in front mode, a cluster client that finds the silos' gateways in Redis.
/// </summary>
public static class OrleansHostingExtensions
{
    /// <summary>Reads the settings (<see cref="SafeStart"/> has refused invalid combinations before).</summary>
    public static HotlineSettings AddHotlineSettings(this WebApplicationBuilder builder)
    {
        var settings = HotlineSettings.From(builder.Configuration);
        builder.Services.AddSingleton(settings);
        builder.Services.TryAddSingleton(TimeProvider.System);
        return settings;
    }

    /// <summary>Front mode: no grains here; calls go to the cluster's gateways, found in Redis like the silos find each other.</summary>
    public static WebApplicationBuilder AddHotlineClient(this WebApplicationBuilder builder)
    {
        var settings = builder.Services.GetSettings();
        builder.UseOrleansClient(client =>
        {
            client.UseRedisClustering(o => o.ConfigurationOptions = RedisConnectionOptions.For(settings.RedisConnectionString!));
            client.Configure<ClusterOptions>(o => { o.ClusterId = settings.ClusterId; o.ServiceId = settings.ServiceId; });
            // Re-read the gateway list often, so a replaced silo is used soon and a dead one dropped soon.
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
            // Same bound as between silos: a call left hanging by a dead silo fails after 15 s, so GrainCalls can retry.
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(15));
            // A front may start before any silo, or outlive all of them for a while: keep trying, never give up.
            client.UseConnectionRetryFilter(async (_, ct) =>
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                return true;
            });
            client.AddGatewayCountChangedHandler(sp => sp.GetRequiredService<ClusterConnection>().OnGatewayCountChanged);
            client.AddDashboard();
        });
        builder.Services.AddSingleton<ClusterConnection>();
        builder.Services.AddHostedService<FrontReadinessProbe>();
        return builder;
    }

    private static HotlineSettings GetSettings(this IServiceCollection services)
        => services.Select(d => d.ImplementationInstance).OfType<HotlineSettings>().FirstOrDefault()
           ?? throw new InvalidOperationException("call AddHotlineSettings first");

    /// <summary>Combined and silo mode: the grains run here.</summary>
    public static WebApplicationBuilder AddHotlineSilo(this WebApplicationBuilder builder)
    {
        var settings = builder.Services.GetSettings();
        builder.Services.Configure<RoutingOptions>(builder.Configuration.GetSection("Hotline:Routing"));
        builder.Services.Configure<GrainOptions>(builder.Configuration.GetSection("Hotline:Grains"));
        builder.Services.Configure<MessageOptions>(builder.Configuration.GetSection("Hotline:Messages"));
        var timeZone = builder.Configuration["Hotline:TimeZone"] ?? HotlineCalendar.DefaultTimeZone;
        HotlineCalendar.Zone(timeZone); // an unknown zone fails the start, not the first statistic
        builder.Services.PostConfigure<GrainOptions>(o => o.TimeZone = timeZone);
        builder.Services.Configure<CollectiveOptions>(builder.Configuration.GetSection("Hotline:Collective"));
        // Fault injection for the crash tests, never in Production (Hotline:Testing:CrashAt / CrashFile; see CrashPoints).
        var (crashAt, crashFile) = (builder.Configuration["Hotline:Testing:CrashAt"], builder.Configuration["Hotline:Testing:CrashFile"]);
        if ((builder.Environment.IsDevelopment() || builder.Environment.IsEnvironment("Testing")) && (crashAt is { Length: > 0 } || crashFile is { Length: > 0 }))
            builder.Services.AddSingleton(new CrashPoints(crashAt, crashFile is { Length: > 0 } ? crashFile : null));
        // A clock moved forward for the retention-across-restart test (Hotline:Testing:ClockOffset), never in Production.
        if ((builder.Environment.IsDevelopment() || builder.Environment.IsEnvironment("Testing"))
            && builder.Configuration.GetValue<TimeSpan?>("Hotline:Testing:ClockOffset") is { } offset && offset != TimeSpan.Zero)
        {
            builder.Services.AddSingleton<TimeProvider>(new OffsetTimeProvider(offset));
            // Only the hotline's clock moves: Orleans resolves its own areas' clocks as keyed services that default to
            // this one, and cluster membership compares the moved clock with the real one it stamps IAmAlive with, so
            // the silo would find its own entry months stale, declare itself dead and exit (seen as a flaky start).
            foreach (var area in new[] { TimeProviderNames.Membership, TimeProviderNames.SystemTimers, TimeProviderNames.Messaging })
                builder.Services.AddKeyedSingleton(area, TimeProvider.System);
        }

        builder.UseOrleans(silo =>
        {
            if (settings.ClusterMode)
            {
                // Keeps trying while Redis is restarting rather than failing the silo's start, and reconnects within a second.
                silo.UseRedisClustering(o => o.ConfigurationOptions = RedisConnectionOptions.For(settings.RedisConnectionString!));
                // A Redis restarted without its data (or missing its last second) loses the table: each silo puts itself back.
                silo.Services.AddHostedService<MembershipTableGuard>();
                silo.Configure<ClusterOptions>(o => { o.ClusterId = settings.ClusterId; o.ServiceId = settings.ServiceId; });
                silo.ConfigureEndpoints(settings.AdvertisedAddress, settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: settings.ListenOnAnyAddress);
                // Declare a killed silo dead within about 5 s rather than the default 10-20 s: a probe per second,
                // three misses make a suspicion, one vote suffices (two-silo clusters), the table is re-read every 2 s.
                silo.Configure<ClusterMembershipOptions>(o =>
                {
                    o.ProbeTimeout = TimeSpan.FromSeconds(1);
                    o.NumMissedProbesLimit = 3;
                    o.NumVotesForDeathDeclaration = 1;
                    o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
                    o.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(10);
                    o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
                    o.LocalHealthDegradationMonitoringPeriod = TimeSpan.FromSeconds(5);
                });
                // Calls that were in flight to a dead silo are broken (SiloUnavailableException) when it is declared
                // dead; anything else left hanging fails after 15 s instead of 30 s, so GrainCalls can retry. Storage
                // retries (PostgreSQL restart) stay below that.
                silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(15));
                var storage = HotlineStorageOptions.ForPostgres(settings.PostgresConnectionString!);
                storage.RetryBudget = TimeSpan.FromSeconds(10);
                silo.AddHotlineStorage(storage);
            }
            else
            {
                silo.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort, serviceId: settings.ServiceId, clusterId: settings.ClusterId);
                var sqlite = HotlineStorageOptions.ForSqlite(settings.DataPath);
                // 0 (default): SQLite's own checkpoint inside the COMMIT that crosses SqliteAutoCheckpointPages WAL pages.
                sqlite.SqliteCheckpointInterval = TimeSpan.FromMilliseconds(
                    builder.Configuration.GetValue("Hotline:Storage:SqliteCheckpointMs", (int)sqlite.SqliteCheckpointInterval.TotalMilliseconds));
                sqlite.SqliteAutoCheckpointPages = settings.SqliteAutoCheckpointPages;
                silo.AddHotlineStorage(sqlite);
            }
            // Per-case grains are many and short-lived: collect them sooner than Orleans' 15 minutes (see GrainOptions).
            var idle = builder.Configuration.GetValue("Hotline:Grains:IdleCollectionMinutes", new GrainOptions().IdleCollectionMinutes);
            // Orleans refuses an age not above its collection quantum (1 minute): 1 or less keeps Orleans' default.
            if (idle > 1)
                silo.Configure<GrainCollectionOptions>(o =>
                {
                    foreach (var type in new[] { typeof(ConsultationGrain), typeof(WorkerGrain), typeof(ResumeCodeGrain) })
                        o.ClassSpecificCollectionAge[type.FullName!] = TimeSpan.FromMinutes(idle);
                });
            // Live logs and grain internals: only where the operator turned it on (Development by default).
            if (OperatorTools.DashboardEnabled(builder.Configuration, builder.Environment)) silo.AddDashboard();
            // Trace context through grain calls, only when traces are exported (it costs on every call).
            if (TelemetryHosting.TracingConfigured(builder.Configuration)) silo.AddActivityPropagation();
        });

        builder.Services.AddHostedService<HotlineStartup>();
        return builder;
    }
}
