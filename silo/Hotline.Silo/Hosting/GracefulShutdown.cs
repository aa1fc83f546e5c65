using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Hotline.Silo.Hosting;

/// <summary>Settings of the silo's shutdown (section <c>Hotline:Shutdown</c>).</summary>
public sealed class ShutdownOptions
{
    /// <summary>Budget of the whole graceful stop (hub drain, grain deactivation, leaving the cluster). Default 20 s.</summary>
    public double TimeoutSeconds { get; set; } = 20;

    /// <summary>How long the drain waits for closed hub connections to finish their disconnect handlers. Default 5 s.</summary>
    public double DrainSeconds { get; set; } = 5;
}

/// <summary>
/// SIGTERM / Ctrl-C: a bounded, graceful stop. Before anything else stops, the silo reports not ready (load balancers
/// stop sending), refuses new hub connections and closes the open ones so clients reconnect to another silo while this
/// one can still run their disconnect handlers (a lawyer's connection is released, not left to lapse). Then Orleans
/// stops gracefully: grains deactivate (their state is already durable) and re-activate elsewhere on the next call.
/// Every step is bounded, so a stop ends within <see cref="ShutdownOptions.TimeoutSeconds"/> even when Redis or
/// PostgreSQL are already gone; a watchdog ends the process 5 s after that budget if something still hangs.
/// </summary>
public static class GracefulShutdownExtensions
{
    public static WebApplicationBuilder AddGracefulShutdown(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<ShutdownOptions>(builder.Configuration.GetSection("Hotline:Shutdown"));
        var options = builder.Configuration.GetSection("Hotline:Shutdown").Get<ShutdownOptions>() ?? new ShutdownOptions();
        var budget = TimeSpan.FromSeconds(options.TimeoutSeconds);
        services.Configure<HostOptions>(o => o.ShutdownTimeout = budget);
        // Orleans' own stop steps, each well inside the budget: one grain's deactivation (its storage may be gone),
        // telling gateway clients. Leaving the membership table (Redis may be gone) is cut by the host's budget.
        var step = TimeSpan.FromSeconds(Math.Max(1, options.TimeoutSeconds / 4));
        services.Configure<GrainCollectionOptions>(o => o.DeactivationTimeout = step);
        services.Configure<SiloMessagingOptions>(o => o.ClientGatewayShutdownNotificationTimeout = TimeSpan.FromSeconds(1));

        services.AddSingleton<HubConnectionTracker>();
        services.AddOptions<HubOptions>().Configure<HubConnectionTracker>((o, tracker) => o.AddFilter(tracker));
        services.AddHostedService<ShutdownDrain>();
        return builder;
    }
}

/// <summary>Every hub connection open on this silo (all hubs), so the drain can close them; refuses new ones while stopping.</summary>
public sealed class HubConnectionTracker : IHubFilter
{
    private readonly ConcurrentDictionary<string, HubCallerContext> _open = new();
    private volatile bool _draining;

    public int Count => _open.Count;

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        if (_draining) throw new HubException("unavailable: this silo is shutting down, connect to another one");
        _open[context.Context.ConnectionId] = context.Context;
        try
        {
            await next(context);
        }
        catch
        {
            _open.TryRemove(context.Context.ConnectionId, out _);
            throw;
        }
    }

    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        // Removed only after the hub's own disconnect handler ran (a lawyer's connection is released in its grain).
        try { await next(context, exception); }
        finally { _open.TryRemove(context.Context.ConnectionId, out _); }
    }

    /// <summary>Refuses new connections, aborts the open ones and waits up to <paramref name="wait"/> for their handlers.</summary>
    public async Task<(int Closed, int Left)> CloseAllAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        _draining = true;
        var closing = _open.Values.ToList();
        foreach (var connection in closing) connection.Abort();
        var watch = Stopwatch.StartNew();
        while (!_open.IsEmpty && watch.Elapsed < wait && !cancellationToken.IsCancellationRequested)
            await Task.Delay(50, CancellationToken.None);
        return (closing.Count, _open.Count);
    }
}

/// <summary>Runs first when the host stops: readiness off, hub connections closed, and the hard watchdog armed.</summary>
internal sealed class ShutdownDrain(HubConnectionTracker hubs, Readiness readiness, IOptions<ShutdownOptions> options,
    ILogger<ShutdownDrain> logger) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    /// <summary>The stop finished: disarm the watchdog (a process hosting several hosts, as tests do, lives on).</summary>
    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        _stopped.Cancel();
        return Task.CompletedTask;
    }

    private readonly CancellationTokenSource _stopped = new();

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        ArmWatchdog(TimeSpan.FromSeconds(settings.TimeoutSeconds + 5));
        readiness.Stop();
        var watch = Stopwatch.StartNew();
        var (closed, left) = await hubs.CloseAllAsync(TimeSpan.FromSeconds(settings.DrainSeconds), cancellationToken);
        logger.LogInformation("Shutting down: closed {Closed} hub connection(s) in {Seconds:0.00} s ({Left} still closing); stopping the silo",
            closed, watch.Elapsed.TotalSeconds, left);
    }

    /// <summary>
    /// The last resort: if the graceful stop still runs past its budget (a library ignoring cancellation), end the
    /// process. Nothing acknowledged is lost by that: every acknowledged write is already committed.
    /// </summary>
    private void ArmWatchdog(TimeSpan after)
    {
        var thread = new Thread(() =>
        {
            if (_stopped.Token.WaitHandle.WaitOne(after)) return; // stopped in time
            logger.LogWarning("Graceful shutdown still running after {Seconds} s: exiting now", after.TotalSeconds);
            Console.Out.Flush();
            if (OperatingSystem.IsLinux()) Native.Exit(0);
            Process.GetCurrentProcess().Kill();
        })
        { IsBackground = true, Name = "shutdown watchdog" };
        thread.Start();
    }

    private static class Native
    {
        // _exit: ends the process at once, without running exit handlers that would wait for the hung host.
        [DllImport("libc", EntryPoint = "_exit")]
        public static extern void Exit(int status);
    }
}
