using System.Net;
using Hotline.Abstractions;
using Hotline.Domain;
using Hotline.Grains;
using Hotline.Silo.Hubs;
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
        builder.Services.AddSingleton<IClientNotifier, SignalRClientNotifier>();

        builder.UseOrleans(silo =>
        {
            if (settings.ClusterMode)
            {
                silo.UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(settings.RedisConnectionString!));
                silo.Configure<ClusterOptions>(o => { o.ClusterId = settings.ClusterId; o.ServiceId = settings.ServiceId; });
                silo.ConfigureEndpoints(IPAddress.Loopback, settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: false);
                // Declare a killed silo dead within about 5 s rather than the default 10-20 s.
                silo.Configure<ClusterMembershipOptions>(o =>
                {
                    o.ProbeTimeout = TimeSpan.FromSeconds(1);
                    o.NumMissedProbesLimit = 2;
                    o.NumVotesForDeathDeclaration = 1;
                    o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
                    o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
                });
                silo.AddHotlineStorage(HotlineStorageOptions.ForPostgres(settings.PostgresConnectionString!));
            }
            else
            {
                silo.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort, serviceId: settings.ServiceId, clusterId: settings.ClusterId);
                silo.AddHotlineStorage(HotlineStorageOptions.ForSqlite(settings.DataPath));
            }
            silo.AddDashboard();
        });

        builder.Services.AddHostedService<HotlineStartup>();
        return builder;
    }
}
