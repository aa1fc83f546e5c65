using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hotline.E2E.Tests;

/// <summary>
/// The real silo (Orleans + Kestrel + pages) in-process on a free loopback port, with its own temp data folder and
/// free Orleans ports, so that it never collides with another silo on the machine.
/// </summary>
public sealed class HotlineServer : IAsyncLifetime
{
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "hotline-e2e-" + Guid.NewGuid().ToString("N")[..12]);
    private Factory? _factory;

    /// <summary>e.g. <c>http://127.0.0.1:41234</c> (no trailing slash).</summary>
    public string BaseUrl { get; private set; } = "";

    public HttpClient Http { get; private set; } = new();

    /// <summary>The host's services (a test mints a token with the host's own key).</summary>
    public IServiceProvider Services => _factory!.Services;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dataPath);
        _factory = new Factory(_dataPath, FreePort(), FreePort());
        _factory.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        _factory.StartServer();
        var addresses = _factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseUrl = addresses.First(a => a.StartsWith("http://", StringComparison.Ordinal)).TrimEnd('/');
        Http = new HttpClient { BaseAddress = new Uri(BaseUrl + "/"), Timeout = TimeSpan.FromSeconds(30) };

        // Ready = grains woken and demo lawyers seeded.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                using var r = await Http.GetAsync("health/ready");
                if (r.IsSuccessStatusCode) break;
            }
            catch (HttpRequestException) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the silo at {BaseUrl} did not get ready within 60 s");
            await Task.Delay(200);
        }
    }

    /// <summary>Logs in (admin or lawyer) over REST and returns the bearer token.</summary>
    public async Task<string> LoginAsync(string username, string password)
    {
        using var r = await Http.PostAsJsonAsync("api/auth/login", new { username, password });
        r.EnsureSuccessStatusCode();
        var body = await r.Content.ReadFromJsonAsync<LoginAnswer>();
        return body!.Token;
    }

    /// <summary>Creates a lawyer through <c>POST /api/admin/lawyers</c>.</summary>
    public async Task CreateLawyerAsync(string adminToken, string username, string password, string displayName, string[] skills, string[] dialects, int capacity)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/admin/lawyers")
        {
            Content = JsonContent.Create(new { username, password, displayName, skills, dialects, capacity }),
        };
        request.Headers.Authorization = new("Bearer", adminToken);
        using var r = await Http.SendAsync(request);
        if (r.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"POST /api/admin/lawyers answered {(int)r.StatusCode}: {await r.Content.ReadAsStringAsync()}");
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_factory is not null) await _factory.DisposeAsync();
        try { Directory.Delete(_dataPath, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static int FreePort() => Hotline.Testing.Infra.FreePort();

    private sealed record LoginAnswer(string UserId, string Role, string DisplayName, string Token);

    private sealed class Factory(string dataPath, int siloPort, int gatewayPort) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            // The demo configuration (published demo logins, seeded demo lawyers), as `dotnet run` starts it.
            builder.UseEnvironment("Development");
            builder.UseSetting("Hotline:DataPath", dataPath);
            builder.UseSetting("Orleans:SiloPort", siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
            builder.UseSetting("Orleans:GatewayPort", gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
            builder.UseSetting("Orleans:ClusterId", "e2e-" + Guid.NewGuid().ToString("N")[..8]);
            // Long enough that a slow shared CI machine never sees the offer expire mid-test.
            builder.UseSetting("Hotline:Routing:OfferTimeoutSeconds", "90");
            // Not the default (4000): the pages must take their field limits from GET /api/limits, not hard-code them.
            builder.UseSetting("Hotline:Limits:MaxMessageLength", "3000");
            // Production hides the operator pages unless asked: this test checks the admin wall's links to them.
            builder.UseSetting("Hotline:Ops:Dashboard", "true");
            builder.UseSetting("Hotline:Ops:ApiDocs", "true");
            builder.ConfigureLogging(l =>
            {
                l.SetMinimumLevel(LogLevel.Warning);
                l.AddFilter("Polly", LogLevel.Error);
                l.AddFilter("Orleans", LogLevel.Error);
            });
        }
    }
}
