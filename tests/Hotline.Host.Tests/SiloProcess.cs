using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Hotline.Host.Tests;

/// <summary>The built silo run as a child process on loopback, with its own data folder and ports.</summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private SiloProcess(Process process, Uri url)
    {
        _process = process;
        Url = url;
    }

    public const string AdminPassword = "host-test-admin-password";

    public Uri Url { get; }
    public int Pid => _process.Id;
    public string Output { get { lock (_output) return string.Join('\n', _output.TakeLast(80)); } }

    public static async Task<SiloProcess> StartAsync(string dataPath, IDictionary<string, string>? settings = null)
    {
        var (dll, projectDir) = LocateSilo();
        var port = FreePort();
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = projectDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        // Production refuses published defaults: real secrets, as an operator would set them.
        info.Environment["Hotline__Admin__Password"] = AdminPassword;
        info.Environment["Hotline__Gateway__ApiKey"] = "host-test-gateway-key-0123456789";
        info.Environment["Hotline__DataPath"] = dataPath;
        info.Environment["Orleans__SiloPort"] = FreePort().ToString();
        info.Environment["Orleans__GatewayPort"] = FreePort().ToString();
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        foreach (var (k, v) in settings ?? new Dictionary<string, string>()) info.Environment[k] = v;
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the silo");
        var silo = new SiloProcess(process, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (silo._output) silo._output.Add(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (silo._output) silo._output.Add(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await silo.WaitReadyAsync();
        return silo;
    }

    private async Task WaitReadyAsync()
    {
        using var http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"silo exited with {_process.ExitCode}:\n{Output}");
            try
            {
                if ((await http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException($"silo not ready within 90 s:\n{Output}");
    }

    /// <summary><c>kill -9</c>: no shutdown hooks, no flush.</summary>
    public void KillHard()
    {
        using var kill = Process.Start("kill", ["-9", Pid.ToString()]);
        kill.WaitForExit();
        _process.WaitForExit();
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The silo built in the same configuration as this test assembly.</summary>
    private static (string Dll, string ProjectDir) LocateSilo()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = here.Parent!.Name; // bin/<Configuration>/net10.0/
        var dir = here;
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hotline12351.sln"))) dir = dir.Parent;
        if (dir is null) throw new DirectoryNotFoundException("repository root not found");
        var project = Path.Combine(dir.FullName, "silo", "Hotline.Silo");
        var dll = Path.Combine(project, "bin", configuration, "net10.0", "Hotline.Silo.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException("build the silo first", dll);
        return (dll, project);
    }
}
