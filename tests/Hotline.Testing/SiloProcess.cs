using System.Diagnostics;
using System.Net;

namespace Hotline.Testing;

/// <summary>
/// The built Hotline.Silo.dll run as a child process on loopback ports of its own (HTTP, silo, gateway). Its output is
/// kept in memory (and in a log file when given); <see cref="KillHard"/> is SIGKILL, <see cref="TerminateAsync"/> SIGTERM.
/// </summary>
public sealed class SiloProcess : IDisposable, IAsyncDisposable
{
    /// <summary>Admin password of the embedded (SQLite) silos started by <see cref="StartAsync"/>.</summary>
    public const string AdminPassword = "host-test-admin-password";

    /// <summary>Gateway API key of the embedded silos started by <see cref="StartAsync"/>.</summary>
    public const string GatewayKey = "host-test-gateway-key-0123456789";

    private readonly Process _process;
    private readonly List<string> _output = [];
    // When each line of _output arrived (same index).
    private readonly List<DateTimeOffset> _arrived = [];
    private readonly StreamWriter? _log;

    public string Name { get; }
    public int HttpPort { get; }
    public int SiloPort { get; }
    public int GatewayPort { get; }
    public Uri Url => new($"http://127.0.0.1:{HttpPort}/");
    public Process Process => _process;
    public int Pid => _process.Id;
    public int ExitCode => _process.ExitCode;
    /// <summary>Where the output is also written (null: memory only).</summary>
    public string? LogPath { get; }
    public bool Killed { get; private set; }

    /// <summary>The last 80 lines of output.</summary>
    public string Output => Tail(80);

    private SiloProcess(string name, IReadOnlyDictionary<string, string> environment, string? logPath, string? workingDirectory, string? dll)
    {
        Name = name;
        HttpPort = Infra.FreePort();
        SiloPort = Infra.FreePort();
        GatewayPort = Infra.FreePort();
        LogPath = logPath;
        dll ??= Infra.SiloDll();
        var psi = new ProcessStartInfo("dotnet", [dll])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Path.GetDirectoryName(dll)!,
        };
        psi.Environment["ASPNETCORE_URLS"] = Url.ToString().TrimEnd('/');
        psi.Environment["Orleans__SiloPort"] = SiloPort.ToString();
        psi.Environment["Orleans__GatewayPort"] = GatewayPort.ToString();
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        if (logPath is not null) _log = new StreamWriter(logPath) { AutoFlush = true };
        _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the silo");
        _process.OutputDataReceived += (_, e) => Line(e.Data);
        _process.ErrorDataReceived += (_, e) => Line(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    private void Line(string? line)
    {
        if (line is null) return;
        lock (_output)
        {
            _output.Add(line);
            _arrived.Add(DateTimeOffset.UtcNow);
            _log?.WriteLine(line);
        }
    }

    /// <summary>
    /// Starts the silo (or another built server, <paramref name="dll"/>) with these environment variables (ports and URL
    /// are chosen here); does not wait.
    /// </summary>
    public static SiloProcess Launch(string name, IReadOnlyDictionary<string, string> environment, string? logPath = null, string? workingDirectory = null, string? dll = null) =>
        new(name, environment, logPath, workingDirectory, dll);

    /// <summary>An embedded (SQLite) silo in Production on <paramref name="dataPath"/>, with real secrets as an operator
    /// would set them; returns once /health/ready answers.</summary>
    public static async Task<SiloProcess> StartAsync(string dataPath, IDictionary<string, string>? settings = null)
    {
        var env = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            // Production refuses published defaults: real secrets, as an operator would set them.
            ["Hotline__Admin__Password"] = AdminPassword,
            ["Hotline__Gateway__ApiKey"] = GatewayKey,
            ["Hotline__DataPath"] = dataPath,
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string>()) env[k] = v;
        var silo = Launch("silo", env, workingDirectory: SiloProjectDir());
        try
        {
            await silo.WaitReadyAsync(TimeSpan.FromSeconds(180));
        }
        catch
        {
            await silo.DisposeAsync();
            throw;
        }
        return silo;
    }

    /// <summary>Runs the built silo with exactly these environment settings (plus URLs and ports) until it exits.</summary>
    public static async Task<(int ExitCode, string Output)> RunToExitAsync(IDictionary<string, string> settings, TimeSpan within)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = SiloProjectDir(), RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Infra.SiloDll());
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{Infra.FreePort()}";
        info.Environment["Orleans__SiloPort"] = Infra.FreePort().ToString();
        info.Environment["Orleans__GatewayPort"] = Infra.FreePort().ToString();
        foreach (var (k, v) in settings) info.Environment[k] = v;
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the silo");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(within);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the silo did not exit within {within}");
        }
        return (process.ExitCode, await stdout + "\n" + await stderr);
    }

    /// <summary>Polls /health/ready until it answers 200; fails with the output tail when the process exits or time runs out.</summary>
    public async Task WaitReadyAsync(TimeSpan limit)
    {
        using var http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(5) };
        var until = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < until)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode}:\n{Tail()}");
            try
            {
                using var r = await http.GetAsync("/health/ready");
                if (r.StatusCode == HttpStatusCode.OK) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            await Task.Delay(250);
        }
        throw new TimeoutException($"{Name} not ready within {limit}:\n{Tail()}");
    }

    /// <summary>Whether the silo printed a line containing <paramref name="text"/> (searches everything, not only the tail).</summary>
    public bool Printed(string text) { lock (_output) return _output.Any(l => l.Contains(text, StringComparison.Ordinal)); }

    /// <summary>When the first line containing <paramref name="text"/> arrived at or after <paramref name="after"/> (this
    /// test host's clock, so instants of different processes compare), or null.</summary>
    public DateTimeOffset? FirstPrinted(string text, DateTimeOffset after)
    {
        lock (_output)
        {
            for (var i = 0; i < _output.Count; i++)
                if (_arrived[i] >= after && _output[i].Contains(text, StringComparison.Ordinal)) return _arrived[i];
            return null;
        }
    }

    public string Tail(int lines = 40) { lock (_output) return string.Join('\n', _output.TakeLast(lines)); }

    /// <summary>Waits for the process to end by itself (a fault-injection FailFast).</summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>kill -9: no shutdown hooks, no flush, no goodbye to the cluster.</summary>
    public void KillHard()
    {
        Killed = true;
        try { _process.Kill(entireProcessTree: true); _process.WaitForExit(5000); } catch (InvalidOperationException) { }
    }

    /// <summary>SIGTERM (what systemd, docker stop and Kubernetes send); returns how long the process took to end
    /// (killed hard after two minutes so the run goes on).</summary>
    public async Task<TimeSpan> TerminateAsync()
    {
        var watch = Stopwatch.StartNew();
        using (var kill = Process.Start("kill", ["-TERM", Pid.ToString()])) await kill.WaitForExitAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try { await _process.WaitForExitAsync(limit.Token); }
        catch (OperationCanceledException) { KillHard(); }
        return watch.Elapsed;
    }

    public void Dispose()
    {
        if (!_process.HasExited) KillHard();
        _process.WaitForExit();
        _process.Dispose();
        lock (_output) _log?.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>A free loopback port (kept for callers of the former per-project helper).</summary>
    public static int FreePort() => Infra.FreePort();

    /// <summary>The built silo and its project folder (the working directory of embedded silos).</summary>
    public static (string Dll, string ProjectDir) LocateSilo() => (Infra.SiloDll(), SiloProjectDir());

    private static string SiloProjectDir() => Path.Combine(Infra.RepoRoot(), "silo", "Hotline.Silo");
}
