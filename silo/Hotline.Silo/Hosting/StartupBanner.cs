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

    public static void Print(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var url = addresses.FirstOrDefault()?.Replace("0.0.0.0", "localhost").Replace("[::]", "localhost") ?? "http://localhost:5000";
        var seeds = app.Services.GetRequiredService<SeedFiles>();
        var admin = app.Services.GetRequiredService<AdminAccount>();
        var settings = app.Services.GetRequiredService<HotlineSettings>();
        var config = app.Configuration;
        var lawyer = seeds.Lawyers.FirstOrDefault();
        Console.WriteLine($"""

            ==== Hotline12351 is running ({settings.Mode switch { HostMode.Front => $"front of cluster {settings.ClusterId}", _ when settings.ClusterMode => "cluster", _ => "embedded, SQLite at " + settings.DataPath }}) ====
              Worker page      {url}/
              Lawyer console   {url}/lawyer.html
              Admin dashboard  {url}/admin.html
              API docs         {url}/scalar   (OpenAPI: {url}/openapi/v1.json)
              Orleans          {url}/dashboard
              Health           {url}/health/ready
              Demo logins      admin: {admin.Username} / {(config["Hotline:Admin:Password"] is null ? seeds.Admin.Password : "(configured)")}
                               lawyers: {string.Join(", ", seeds.Lawyers.Take(4).Select(l => l.Username))} ... ({seeds.Lawyers.Count} in all) / {(config["Hotline:Seed:LawyerPassword"] is null ? lawyer?.Password : "(configured)")}
              Gateway API key  {(config["Hotline:Gateway:ApiKey"] is null ? "dev-gateway-key-12351" : "(configured)")}  (header X-Api-Key)
            """);
    }
}
