using System.Diagnostics.Metrics;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Hotline.Abstractions;
using Hotline.Grains;
using Hotline.Silo.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Hotline.Silo.Hosting;

/// <summary>
/// OpenTelemetry: metrics (ASP.NET Core, Kestrel, SignalR connections, .NET runtime, Orleans' meter and the hotline's
/// own <see cref="HotlineMeter"/>) always, scraped by Prometheus at <c>GET /metrics</c> (admin token or the scrape key
/// <c>Hotline:Metrics:ScrapeKey</c> as a bearer token); traces (ASP.NET Core, SignalR, Orleans grain calls) and logs
/// exported over OTLP only when an endpoint is configured (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c> or
/// <c>Hotline:Telemetry:OtlpEndpoint</c>). No personal data: no query strings, no message text, no names in tags.
/// </summary>
public static class TelemetryHosting
{
    public const string MetricsPolicy = "metrics";
    public const string ScrapeKeyScheme = "ScrapeKey";

    public static WebApplicationBuilder AddHotlineTelemetry(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var otlp = configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] ?? configuration["Hotline:Telemetry:OtlpEndpoint"];
        var exportOtlp = !string.IsNullOrWhiteSpace(otlp);
        var serviceName = configuration["OTEL_SERVICE_NAME"] ?? "hotline-silo";
        // Opt-in, for the load generator's stage report: when each message passed each stage (MessageStageLog).
        if (configuration["Hotline:Diagnostics:MessageStagesFile"] is { Length: > 0 } stages) MessageStageLog.Start(stages);

        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName, serviceVersion: typeof(TelemetryHosting).Assembly.GetName().Version?.ToString()))
            .WithMetrics(m =>
            {
                m.AddAspNetCoreInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddMeter("Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Http.Connections", "Microsoft.AspNetCore.SignalR")
                    .AddMeter("Microsoft.Orleans")
                    .AddMeter(HotlineMeter.Name, Hotline.Storage.StorageMeter.Name)
                    .AddPrometheusExporter();
                if (exportOtlp) m.AddOtlpExporter(o => o.Endpoint = new Uri(otlp!));
            });
        if (exportOtlp)
        {
            otel.WithTracing(t => t
                .AddAspNetCoreInstrumentation(o =>
                {
                    // SignalR sends the JWT as access_token in the query string: never record a query.
                    o.EnrichWithHttpRequest = (activity, _) => activity.SetTag("url.query", null);
                    o.Filter = http => !http.Request.Path.StartsWithSegments("/metrics") && !http.Request.Path.StartsWithSegments("/health");
                })
                .AddSource("Microsoft.AspNetCore.SignalR.Server")
                .AddSource("Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application")
                .AddOtlpExporter(o => o.Endpoint = new Uri(otlp!)));
            otel.WithLogging(l => l.AddOtlpExporter(o => o.Endpoint = new Uri(otlp!)), o => { o.IncludeFormattedMessage = true; o.IncludeScopes = false; });
        }

        builder.Services.AddSingleton<HotlineGauges>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HotlineGauges>());

        builder.Services.AddAuthentication()
            .AddScheme<ScrapeKeyOptions, ScrapeKeyAuthenticationHandler>(ScrapeKeyScheme, o => o.Key = configuration["Hotline:Metrics:ScrapeKey"] ?? "");
        builder.Services.AddAuthorizationBuilder().AddPolicy(MetricsPolicy, p => p
            .AddAuthenticationSchemes(Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerDefaults.AuthenticationScheme, ScrapeKeyScheme)
            .RequireRole(Roles.Admin, ScrapeKeyOptions.Role));
        return builder;
    }

    /// <summary>Whether traces reach an OTLP collector (Orleans then propagates trace context through grain calls).</summary>
    public static bool TracingConfigured(IConfiguration configuration)
        => !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] ?? configuration["Hotline:Telemetry:OtlpEndpoint"]);

    /// <summary>Maps <c>GET /metrics</c> (Prometheus text format) behind the admin role or the scrape key.</summary>
    public static WebApplication MapHotlineTelemetry(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint("/metrics").RequireAuthorization(MetricsPolicy);
        return app;
    }
}

/// <summary>The scrape key (<c>Hotline:Metrics:ScrapeKey</c>); empty: only admins can scrape.</summary>
public sealed class ScrapeKeyOptions : AuthenticationSchemeOptions
{
    public const string Role = "metrics-scraper";
    public string Key { get; set; } = "";
}

/// <summary>Authenticates a Prometheus scraper sending <c>Authorization: Bearer &lt;scrape key&gt;</c>, as role <c>metrics-scraper</c> only.</summary>
public sealed class ScrapeKeyAuthenticationHandler(IOptionsMonitor<ScrapeKeyOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<ScrapeKeyOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (Options.Key.Length == 0 || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return Task.FromResult(AuthenticateResult.NoResult());
        var given = Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim());
        if (!CryptographicOperations.FixedTimeEquals(given, Encoding.UTF8.GetBytes(Options.Key)))
            return Task.FromResult(AuthenticateResult.NoResult()); // maybe a JWT: the bearer scheme decides
        var identity = new ClaimsIdentity([new Claim(Roles.SubjectClaim, "metrics"), new Claim(Roles.RoleClaim, ScrapeKeyOptions.Role)], Scheme.Name, Roles.NameClaim, Roles.RoleClaim);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }
}

/// <summary>
/// The hotline's live load as gauges of <see cref="HotlineMeter"/>, from the statistics grain's snapshot (refreshed
/// every 5 s; the gauges read the last one). Tags: category and state only.
/// </summary>
public sealed class HotlineGauges : BackgroundService
{
    private readonly IGrainFactory _grains;
    private readonly ILogger<HotlineGauges> _logger;
    private volatile MetricsSnapshot? _last;

    public HotlineGauges(IGrainFactory grains, ILogger<HotlineGauges> logger)
    {
        _grains = grains;
        _logger = logger;
        var meter = HotlineMeter.Meter;
        meter.CreateObservableGauge("hotline.queue.waiting", () => PerQueue(q => q.Waiting), "{consultation}", "Consultations waiting (queued or offered), per category");
        meter.CreateObservableGauge("hotline.queue.oldest_wait", () => PerQueue(q => q.OldestWaitSeconds), "s", "Wait of the oldest waiting consultation, per category");
        meter.CreateObservableGauge("hotline.queue.service_level", () => PerQueue(q => q.ServiceLevel), "1", "Share of today's answered consultations answered within 20 s, per category");
        meter.CreateObservableGauge("hotline.queue.average_wait", () => PerQueue(q => q.AverageWaitSeconds), "s", "Mean wait of today's answered consultations, per category");
        meter.CreateObservableGauge("hotline.queue.lawyers_needed", () => PerQueue(q => (double)q.LawyersNeeded), "{lawyer}", "Erlang C staffing advice (80 % within 20 s), per category");
        meter.CreateObservableGauge("hotline.consultations", Consultations, "{consultation}", "Consultations by state");
        meter.CreateObservableGauge("hotline.lawyers", Lawyers, "{lawyer}", "Lawyers by state");
        meter.CreateObservableGauge("hotline.lawyers.occupancy", () => _last is { } s ? [new Measurement<double>(s.Lawyers.Occupancy)] : Array.Empty<Measurement<double>>(), "1", "Busy capacity / online capacity");
        meter.CreateObservableGauge("hotline.silos", () => _last is { } s ? [new Measurement<int>(s.Silos)] : Array.Empty<Measurement<int>>(), "{silo}", "Active silos in the cluster");
    }

    private IEnumerable<Measurement<double>> PerQueue(Func<QueueMetrics, double> value)
        => _last?.Queues.Select(q => new Measurement<double>(value(q), new KeyValuePair<string, object?>("category", q.Category))) ?? [];

    private IEnumerable<Measurement<int>> Consultations()
    {
        if (_last is not { } s) yield break;
        yield return State(s.Consultations.Queued, "queued");
        yield return State(s.Consultations.Offered, "offered");
        yield return State(s.Consultations.Active, "active");
        yield return State(s.Consultations.ClosedToday, "closed_today");
    }

    private IEnumerable<Measurement<int>> Lawyers()
    {
        if (_last is not { } s) yield break;
        yield return State(s.Lawyers.Online, "online");
        yield return State(s.Lawyers.Available, "available");
        yield return State(s.Lawyers.Busy, "busy");
        yield return State(s.Lawyers.Away, "away");
    }

    private static Measurement<int> State(int value, string state) => new(value, new KeyValuePair<string, object?>("state", state));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try { _last = await _grains.GetGrain<IStatisticsGrain>(GrainKeys.Hotline).GetSnapshot(); }
            catch (Exception e) when (e is not OperationCanceledException) { _logger.LogDebug(e, "No statistics snapshot for the gauges"); }
            try { await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken); } catch (OperationCanceledException) { return; }
        }
    }
}
