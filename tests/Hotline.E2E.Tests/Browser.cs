namespace Hotline.E2E.Tests;

/// <summary>Headless Debian Chromium through Playwright. Playwright never downloads a browser here.</summary>
public static class Browser
{
    /// <summary><c>HOTLINE_CHROMIUM</c> overrides the default <c>/usr/bin/chromium</c>.</summary>
    public static string ExecutablePath => Environment.GetEnvironmentVariable("HOTLINE_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        var path = ExecutablePath;
        if (!File.Exists(path))
            throw new InvalidOperationException(
                $"The end-to-end tests need Chromium at {path} and it is not there. Install it (Debian: apt-get install -y chromium fonts-noto-cjk) " +
                "or point HOTLINE_CHROMIUM at a Chromium binary. Playwright's own browser download is not used.");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = path,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"],
        });
        return (playwright, browser);
    }

    /// <summary>Launches the browser for one test: <c>await using var launched = await Browser.StartAsync();</c>.</summary>
    public static async Task<Launched> StartAsync()
    {
        var (playwright, browser) = await LaunchAsync();
        return new Launched(playwright, browser);
    }

    /// <summary>A launched browser and its Playwright driver, disposed together (browser first).</summary>
    public sealed class Launched(IPlaywright playwright, IBrowser browser) : IAsyncDisposable
    {
        public IBrowser Browser => browser;

        public async ValueTask DisposeAsync()
        {
            await browser.DisposeAsync();
            playwright.Dispose();
        }
    }

    /// <summary>Where screenshots go: <c>HOTLINE_E2E_ARTIFACTS</c>, else <c>TestResults/screenshots</c> beside the test project.</summary>
    public static string ArtifactsDir
    {
        get
        {
            var dir = Environment.GetEnvironmentVariable("HOTLINE_E2E_ARTIFACTS");
            if (string.IsNullOrEmpty(dir))
            {
                // bin/<Configuration>/<tfm>/ -> the project folder
                var project = new DirectoryInfo(AppContext.BaseDirectory).Parent?.Parent?.Parent;
                dir = project is not null && File.Exists(Path.Combine(project.FullName, "Hotline.E2E.Tests.csproj"))
                    ? Path.Combine(project.FullName, "TestResults", "screenshots")
                    : Path.Combine(AppContext.BaseDirectory, "artifacts", "screenshots");
            }
            Directory.CreateDirectory(dir);
            return dir;
        }
    }
}
