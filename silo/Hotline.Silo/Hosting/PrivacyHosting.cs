using System.Net;
using System.Xml.Linq;
using Hotline.Abstractions;
using Hotline.Domain;
using Hotline.Silo.Privacy;
using Hotline.Silo.Security;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Hotline.Silo.Hosting;

/// <summary>Privacy and production-safety wiring: limits, login guard, revocation, phone encryption, retention, headers.</summary>
public static class PrivacyHosting
{
    public static WebApplicationBuilder AddHotlinePrivacy(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.Configure<HotlineLimits>(configuration.GetSection("Hotline:Limits"));
        services.Configure<SecurityOptions>(configuration.GetSection("Hotline:Security"));
        PasswordHasher.Iterations = Math.Max(1, configuration.GetValue("Hotline:Security:PasswordIterations", PasswordHasher.DefaultIterations));
        services.AddSingleton<LoginGuard>();
        services.AddHostedService<RetentionService>();

        var limits = configuration.GetSection("Hotline:Limits").Get<HotlineLimits>() ?? new HotlineLimits();
        // Bodies larger than this are refused while reading, before any JSON parsing.
        builder.WebHost.ConfigureKestrel(o => o.Limits.MaxRequestBodySize = limits.MaxRequestBodyBytes);

        // X-Forwarded-For is believed only from the proxies named in Hotline:Network:KnownProxies (none by default,
        // not even loopback), so a client cannot pick its own address for the rate limits.
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            o.ForwardLimit = 1;
            foreach (var proxy in KnownProxies(configuration)) o.KnownProxies.Add(proxy);
        });
        return builder;
    }

    /// <summary><c>Hotline:Network:KnownProxies</c>: a comma-separated list or an array of IP addresses.</summary>
    public static IReadOnlyList<IPAddress> KnownProxies(IConfiguration configuration)
    {
        var section = configuration.GetSection("Hotline:Network:KnownProxies");
        var values = section.Value is { } single ? single.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : section.GetChildren().Select(c => c.Value ?? "").ToArray();
        return values.Where(v => v.Length > 0).Select(v => IPAddress.TryParse(v, out var ip) ? ip
            : throw new InvalidOperationException($"Hotline:Network:KnownProxies: '{v}' is not an IP address")).ToList();
    }

    /// <summary>
    /// Data Protection for phone numbers (keys in the data folder, 0600; in cluster mode in PostgreSQL, or a configured
    /// folder <c>Hotline:Privacy:KeysPath</c> shared by all silos) and the HMAC key of phone worker ids.
    /// </summary>
    public static void AddPhoneProtection(IServiceCollection services, IConfiguration configuration, HotlineSettings settings, byte[] jwtKey)
    {
        var keysPath = configuration["Hotline:Privacy:KeysPath"];
        services.AddDataProtection().SetApplicationName("hotline12351");
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(o =>
        {
            var loggers = sp.GetRequiredService<ILoggerFactory>();
            o.XmlRepository = settings.ClusterMode && string.IsNullOrWhiteSpace(keysPath)
                ? new PostgresXmlRepository(settings.PostgresConnectionString!)
                : new PrivateFileXmlRepository(keysPath ?? Path.Combine(settings.DataPath, "keys"), loggers);
        }));
        var hashKey = PhoneNumberProtector.HashKey(configuration["Hotline:Privacy:PhoneHashKey"], jwtKey);
        services.AddSingleton<IPhoneNumberProtector>(sp => new PhoneNumberProtector(sp.GetRequiredService<IDataProtectionProvider>(), hashKey));
    }

    /// <summary>Forwarded headers, security headers, HSTS.</summary>
    public static WebApplication UseHotlineSecurity(this WebApplication app)
    {
        app.UseForwardedHeaders();
        if (!app.Environment.IsDevelopment()) app.UseHsts();
        app.Use(async (http, next) =>
        {
            var headers = http.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.XFrameOptions = "DENY";
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
            // The pages use no inline script or style: everything comes from files of this origin. The developer tools
            // (Development only) bring their own inline scripts, so they are left without this policy.
            if (!http.Request.Path.StartsWithSegments("/scalar") && !http.Request.Path.StartsWithSegments("/dashboard"))
                headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
                    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
            await next();
        });
        return app;
    }
}

/// <summary>Data Protection keys as files readable by the silo's user only (0600 in a 0700 folder).</summary>
public sealed class PrivateFileXmlRepository : IXmlRepository
{
    private readonly DirectoryInfo _folder;
    private readonly FileSystemXmlRepository _inner;

    public PrivateFileXmlRepository(string folder, ILoggerFactory loggers)
    {
        PrivateFiles.CreateFolder(folder);
        _folder = new DirectoryInfo(folder);
        _inner = new FileSystemXmlRepository(_folder, loggers);
    }

    public IReadOnlyCollection<XElement> GetAllElements() => _inner.GetAllElements();

    public void StoreElement(XElement element, string friendlyName)
    {
        _inner.StoreElement(element, friendlyName);
        if (OperatingSystem.IsWindows()) return;
        foreach (var file in _folder.GetFiles("*.xml"))
            if (file.UnixFileMode != (UnixFileMode.UserRead | UnixFileMode.UserWrite))
                File.SetUnixFileMode(file.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}

/// <summary>Data Protection keys in PostgreSQL (cluster mode), so every silo decrypts what another one encrypted.</summary>
public sealed class PostgresXmlRepository(string connectionString) : IXmlRepository
{
    private const string Create = "CREATE TABLE IF NOT EXISTS dataprotection_keys (friendly_name text PRIMARY KEY, xml text NOT NULL)";

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var connection = new Npgsql.NpgsqlConnection(connectionString);
        connection.Open();
        using (var create = new Npgsql.NpgsqlCommand(Create, connection)) create.ExecuteNonQuery();
        using var select = new Npgsql.NpgsqlCommand("SELECT xml FROM dataprotection_keys", connection);
        using var reader = select.ExecuteReader();
        var list = new List<XElement>();
        while (reader.Read()) list.Add(XElement.Parse(reader.GetString(0)));
        return list;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var connection = new Npgsql.NpgsqlConnection(connectionString);
        connection.Open();
        using (var create = new Npgsql.NpgsqlCommand(Create, connection)) create.ExecuteNonQuery();
        using var insert = new Npgsql.NpgsqlCommand("INSERT INTO dataprotection_keys (friendly_name, xml) VALUES (@n, @x) ON CONFLICT (friendly_name) DO NOTHING", connection);
        insert.Parameters.AddWithValue("n", friendlyName);
        insert.Parameters.AddWithValue("x", element.ToString(SaveOptions.DisableFormatting));
        insert.ExecuteNonQuery();
    }
}

/// <summary>
/// Runs the retention purge (<c>Hotline:Privacy:RetentionDays</c>, default 180) at start and then every
/// <c>Hotline:Privacy:PurgeIntervalMinutes</c> (default 60). The job's progress is durable in <c>IRetentionGrain</c>,
/// so a restart resumes it; every silo may run it (runs are serialized by the grain and idempotent).
/// </summary>
public sealed class RetentionService(IGrainFactory grains, IConfiguration configuration, Readiness readiness,
    ILogger<RetentionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var days = configuration.GetValue("Hotline:Privacy:RetentionDays", 180);
        var interval = TimeSpan.FromMinutes(configuration.GetValue("Hotline:Privacy:PurgeIntervalMinutes", 60.0));
        // A failed run (storage briefly unavailable, a silo starting) is retried soon, not a whole interval later.
        var retry = TimeSpan.FromSeconds(Math.Min(30, interval.TotalSeconds));
        while (!stoppingToken.IsCancellationRequested)
        {
            var next = TimeSpan.FromSeconds(2);
            if (readiness.Ready)
            {
                try
                {
                    var purged = await grains.GetGrain<IRetentionGrain>(GrainKeys.Hotline).RunDue(days);
                    if (purged > 0) logger.LogInformation("Retention: purged the texts of {Count} consultations older than {Days} days", purged, days);
                    next = interval;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning("Retention run failed ({Error}); next try in {Retry}", e.GetType().Name, retry);
                    next = retry;
                }
            }
            try { await Task.Delay(next, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }
}
