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

/// <summary>Sets up the co-hosted Orleans silo: embedded (localhost, SQLite) or cluster (Redis membership, PostgreSQL).</summary>
public static class OrleansHostingExtensions
{
    public static WebApplicationBuilder AddHotlineSilo(this WebApplicationBuilder builder)
    {
        var settings = HotlineSettings.From(builder.Configuration);
        builder.Services.AddSingleton(settings);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.Configure<RoutingOptions>(builder.Configuration.GetSection("Hotline:Routing"));
        builder.Services.Configure<GrainOptions>(builder.Configuration.GetSection("Hotline:Grains"));
        builder.Services.Configure<CollectiveOptions>(builder.Configuration.GetSection("Hotline:Collective"));

        builder.UseOrleans(silo =>
        {
            if (settings.ClusterMode)
            {
                silo.UseRedisClustering(o =>
                {
                    o.ConfigurationOptions = ConfigurationOptions.Parse(settings.RedisConnectionString!);
                    // Keep trying while Redis is restarting rather than failing the silo's start.
                    o.ConfigurationOptions.AbortOnConnectFail = false;
                });
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
                silo.AddHotlineStorage(HotlineStorageOptions.ForSqlite(settings.DataPath));
            }
            // Live logs and grain internals: only where the operator turned it on (Development by default).
            if (PrivacyHosting.DashboardEnabled(builder.Configuration, builder.Environment)) silo.AddDashboard();
        });

        builder.Services.AddHostedService<HotlineStartup>();
        return builder;
    }
}
