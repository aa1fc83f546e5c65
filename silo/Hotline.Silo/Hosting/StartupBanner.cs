using Hotline.Silo.Security;
using Hotline.Silo.Api;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Hotline.Silo.Hosting;

/// <summary>Prints where the platform listens and the demo logins, once the server is up.</summary>
public static class StartupBanner
{
    /// <summary>Silo mode: no pages or API here, only health.</summary>
    public static void PrintSilo(WebApplication app)
    {
        var settings = app.Services.GetRequiredService<HotlineSettings>();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        Console.WriteLine($"\n==== Hotline12351 silo (cluster {settings.ClusterId}, silo port {settings.SiloPort}, gateway {settings.GatewayPort}); health at {string.Join(", ", addresses.Select(a => a + "/health/ready"))} ====");
    }

    /// <summary>
    /// The pages, and only what this host really serves: the operator tools when enabled, the demo lawyers when seeded,
    /// and a default secret only in Development (elsewhere the safe start refuses defaults, so "(configured)").
    /// </summary>
    public static void Print(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var url = addresses.FirstOrDefault()?.Replace("0.0.0.0", "localhost").Replace("[::]", "localhost") ?? "http://localhost:5000";
        var seeds = app.Services.GetRequiredService<SeedFiles>();
        var admin = app.Services.GetRequiredService<AdminAccount>();
        var settings = app.Services.GetRequiredService<HotlineSettings>();
        var config = app.Configuration;
        var env = app.Environment;
        var lines = new List<string>
        {
            "",
            $"==== Hotline12351 is running ({settings.Mode switch { HostMode.Front => $"front of cluster {settings.ClusterId}", _ when settings.ClusterMode => "cluster", _ => "embedded, SQLite at " + settings.DataPath }}, {env.EnvironmentName}) ====",
            $"  Worker page      {url}/",
            $"  Lawyer console   {url}/lawyer.html",
            $"  Admin dashboard  {url}/admin.html",
        };
        if (OperatorTools.ApiDocsEnabled(config, env)) lines.Add($"  API docs         {url}/scalar   (OpenAPI: {url}/openapi/v1.json)");
        if (OperatorTools.DashboardEnabled(config, env)) lines.Add($"  Orleans          {url}/dashboard");
        lines.Add($"  Health           {url}/health/ready");
        lines.Add($"  Admin login      {admin.Username} / {(config["Hotline:Admin:Password"] is null ? seeds.Admin.Password : "(configured)")}");
        if (OperatorTools.DemoLawyersSeeded(config, env))
        {
            var lawyer = seeds.Lawyers.FirstOrDefault();
            lines.Add($"  Demo lawyers     {string.Join(", ", seeds.Lawyers.Take(4).Select(l => l.Username))} ... ({seeds.Lawyers.Count} in all) / " +
                $"{(config["Hotline:Seed:LawyerPassword"] is null ? lawyer?.Password : "(configured)")}");
        }
        else
        {
            lines.Add("  Lawyers          none seeded: the admin creates them (admin page, roster)");
        }
        lines.Add($"  Gateway API key  {(config["Hotline:Gateway:ApiKey"] is null ? "dev-gateway-key-12351" : "(configured)")}  (header X-Api-Key)");
        Console.WriteLine(string.Join(Environment.NewLine, lines));
    }
}
