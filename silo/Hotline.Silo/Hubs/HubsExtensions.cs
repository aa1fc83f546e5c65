using Microsoft.Extensions.Logging;
using Hotline.Abstractions;
using Hotline.Silo.Api;
using Hotline.Silo.Security;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.AspNetCore.SignalR.StackExchangeRedis;
using Microsoft.Extensions.Options;

namespace Hotline.Silo.Hubs;

/// <summary>Sets up SignalR (protocol, limits, the Redis backplane in cluster mode), the typed notifier grains push through, and the hubs.</summary>
public static class HubsExtensions
{
    /// <summary>Default of <c>Hotline:Hubs:ParallelInvocationsPerClient</c>: hub calls of one connection that may run at once.</summary>
    public const int DefaultParallelInvocations = 8;

    /// <summary>Hubs, their filter and limits, lawyer connection leases, and <see cref="AddHotlinePushes"/>.</summary>
    public static IServiceCollection AddHotlineHubs(this IServiceCollection services, string? redis)
    {
        services.AddSingleton<HubUserLimiter>();
        // One filter for every call: SignalR resolves a registered filter instead of constructing one per invocation.
        services.AddSingleton<HubErrorFilter>();
        services.AddSingleton<LawyerConnectionRegistry>();
        services.AddSingleton<ILawyerConnectionCloser>(sp => sp.GetRequiredService<LawyerConnectionRegistry>());
        services.AddHostedService<LawyerConnectionRefresher>();
        services.AddSingleton<WorkerPresence>();
        services.AddHostedService<WorkerPresenceRefresher>();
        return services.AddHotlinePushes(redis);
    }

    /// <summary>
    /// SignalR and the typed notifier grains push through. <paramref name="redis"/> (cluster mode) turns on the backplane,
    /// so a push from any process reaches connections held by any other; a silo-mode process has this without hubs: its
    /// grains publish, the fronts deliver.
    /// </summary>
    public static IServiceCollection AddHotlinePushes(this IServiceCollection services, string? redis)
    {
        var signalR = services.AddSignalR(o =>
        {
            o.MaximumReceiveMessageSize = 64 * 1024;
            // Ping every 5 s: well inside the shipped .NET client's 10 s server timeout (fast failover detection) and the
            // browser client's 30 s, so idle connections are never dropped for silence.
            o.KeepAliveInterval = TimeSpan.FromSeconds(5);
            o.EnableDetailedErrors = false;
            o.AddFilter<HubErrorFilter>();
        }).AddJsonProtocol(o => ApiExtensions.Configure(o.PayloadSerializerOptions))
            // Offered beside JSON (the default), with the same shapes: a client picks it at connect time.
            .AddMessagePackProtocol(o =>
            {
                var json = new System.Text.Json.JsonSerializerOptions();
                ApiExtensions.Configure(json);
                o.SerializerOptions = HotlineMessagePack.Create(json);
            });
        // Registered after the stock protocols, so they win the "json" and "messagepack" names: both add the contract's
        // optional trailing arguments (one wrapper for any protocol).
        services.AddSingleton<IHubProtocol>(sp => new LenientHubProtocol(new JsonHubProtocol(sp.GetRequiredService<IOptions<JsonHubProtocolOptions>>())));
        services.AddSingleton<IHubProtocol>(sp => new LenientHubProtocol(new MessagePackHubProtocol(sp.GetRequiredService<IOptions<MessagePackHubProtocolOptions>>())));
        if (!string.IsNullOrWhiteSpace(redis))
        {
            signalR.AddStackExchangeRedis(redis, o => o.Configuration = BackplaneHealth.Options(redis));
            // One connection for every hub's backplane, the one BackplaneHealth probes end to end: what it reports is
            // what pushes get (a separate probe connection can be back while this one is still reconnecting).
            services.AddOptions<RedisOptions>().Configure<BackplaneHealth>((o, health) => o.ConnectionFactory = health.Connect);
        }
        else
            // One process: pushes to a user find its connections by look-up, not by scanning every connection.
            services.AddSingleton(typeof(HubLifetimeManager<>), typeof(UserIndexedHubLifetimeManager<>));
        // The dispatcher logs every HubException (expected client errors) at Error with a stack trace; HubErrorFilter
        // already logs refusals quietly and unexpected failures at Error, so the dispatcher's copy is dropped.
        // The connection handler likewise logs a refused connect (a lawyer disabled a moment ago) at Error with a stack
        // trace; HubErrorFilter.OnConnectedAsync logs refusals quietly and unexpected failures at Error itself, so the
        // handler's copy is dropped too.
        services.AddLogging(b => b
            .AddFilter("Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher", LogLevel.Critical)
            .AddFilter("Microsoft.AspNetCore.SignalR.HubConnectionHandler", LogLevel.Critical));
        // Calls of one connection may run side by side (SignalR's default runs them one at a time): otherwise a sender's
        // next message waits for the previous one's durable write before its hub method even starts, which put the
        // commit's tail back into the delivery latency (docs/perf-message-path.md, sixth session). Still bounded per
        // connection, and by the rate limits.
        services.AddOptions<HubOptions>().Configure<IConfiguration>((o, configuration)
            => o.MaximumParallelInvocationsPerClient = Math.Max(1, configuration.GetValue("Hotline:Hubs:ParallelInvocationsPerClient", DefaultParallelInvocations)));
        services.AddSingleton<IUserIdProvider, SubjectUserIdProvider>();
        services.AddSingleton<IClientNotifier, SignalRClientNotifier>();
        // Owns and watches the backplane connection, so that hub calls answer "unavailable" while it cannot carry their events.
        services.AddSingleton(sp => new BackplaneHealth(redis, sp.GetRequiredService<ILogger<BackplaneHealth>>()));
        services.AddHostedService(sp => sp.GetRequiredService<BackplaneHealth>());
        return services;
    }

    public static IEndpointRouteBuilder MapHotlineHubs(this IEndpointRouteBuilder app)
    {
        // A connection ends when its token does (the clients then sign in again): without this, a connection opened just
        // before its token expired kept working for as long as it stayed open.
        static void Expiring(Microsoft.AspNetCore.Http.Connections.HttpConnectionDispatcherOptions o) => o.CloseOnAuthenticationExpiration = true;
        app.MapHub<WorkerHub>("/hubs/worker", Expiring);
        app.MapHub<LawyerHub>("/hubs/lawyer", Expiring);
        app.MapHub<AdminHub>("/hubs/admin", Expiring);
        return app;
    }

    /// <summary>SignalR users are the JWT subject (worker, lawyer or admin id), so grains address them by id.</summary>
    private sealed class SubjectUserIdProvider : IUserIdProvider
    {
        public string? GetUserId(HubConnectionContext connection) => connection.User?.FindFirst(Roles.SubjectClaim)?.Value;
    }
}
