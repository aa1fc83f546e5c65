using Hotline.Testing;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Hotline.LoadGen;

/// <summary>A server started by the load generator (the silo or the relay): loopback only, free ports, killed at the end.</summary>
internal sealed class ChildServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly string? _tempDir;

    private ChildServer(Process process, StreamWriter log, Uri url, string? tempDir)
    {
        _process = process;
        _log = log;
        Url = url;
        _tempDir = tempDir;
    }

    public Uri Url { get; }
    public int Pid => _process.Id;
    public bool Exited => _process.HasExited;

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>The repository root (the folder holding Hotline12351.sln), from the tool's own location.</summary>
    public static string RepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "Hotline12351.sln"))) return d.FullName;
        }
        throw new InvalidOperationException("cannot find Hotline12351.sln above " + AppContext.BaseDirectory);
    }

    /// <summary>The dll of a project, built in the same configuration as this tool.</summary>
    public static string ProjectDll(string relativeProjectDir, string name)
    {
        var config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";
        var root = RepoRoot();
        foreach (var c in new[] { config, config == "Debug" ? "Release" : "Debug" })
        {
            var dll = Path.Combine(root, relativeProjectDir, "bin", c, "net10.0", name + ".dll");
            if (File.Exists(dll)) return dll;
        }
        throw new FileNotFoundException($"{name}.dll is not built: run `dotnet build -c {config} {relativeProjectDir}`");
    }

    public static async Task<ChildServer> StartSilo(string logDir, IDictionary<string, string> extraEnv, string? dll = null)
    {
        dll ??= ProjectDll("silo/Hotline.Silo", "Hotline.Silo");
        var http = FreePort();
        var data = Directory.CreateTempSubdirectory("hotline-loadgen-").FullName;
        var env = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{http}",
            // Development: the demo's published admin password (--admin-password admin12351) is accepted.
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Hotline__DataPath"] = data,
            ["Hotline__Ops__Dashboard"] = "false",
            ["Hotline__Security__PasswordIterations"] = "10000",
            ["Hotline__Seed__DemoLawyers"] = "false",
            ["Orleans__SiloPort"] = FreePort().ToString(),
            ["Orleans__GatewayPort"] = FreePort().ToString(),
            ["Orleans__ClusterId"] = "loadgen-" + http,
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
        };
        // Every simulated client comes from 127.0.0.1: abuse and flood limits far above what the generator sends.
        foreach (var (k, v) in LiftedLimits.Environment) env[k] = v;
        foreach (var (k, v) in extraEnv) env[k] = v;
        return await Start(dll, env, Path.Combine(logDir, "silo.log"), new Uri($"http://127.0.0.1:{http}"), data, TimeSpan.FromSeconds(180));
    }

    /// <summary>
    /// The bare relay (<paramref name="stagesFile"/>: its per-stage log, see MessageStageLog); with <paramref name="durable"/>, the durable relay (every message in SQLite before it is forwarded,
    /// in a temp folder beside the spawned silo's), the storage floor.
    /// </summary>
    public static async Task<ChildServer> StartRelay(string logDir, string? dll = null, bool durable = false, string? stagesFile = null,
        IReadOnlyDictionary<string, string>? extraEnv = null)
    {
        dll ??= ProjectDll("tools/Hotline.Relay", "Hotline.Relay");
        var http = FreePort();
        var env = new Dictionary<string, string> { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{http}", ["ASPNETCORE_ENVIRONMENT"] = "Production" };
        foreach (var (k, v) in extraEnv ?? new Dictionary<string, string>()) env[k] = v;
        if (stagesFile is not null) env["RELAY_STAGES"] = stagesFile;
        var data = durable ? Directory.CreateTempSubdirectory("hotline-relay-").FullName : null;
        if (data is not null) env["RELAY_STORE"] = Path.Combine(data, "relay.db");
        return await Start(dll, env, Path.Combine(logDir, "relay.log"), new Uri($"http://127.0.0.1:{http}"), data, TimeSpan.FromSeconds(30));
    }

    private static async Task<ChildServer> Start(string dll, Dictionary<string, string> env, string logPath, Uri url, string? tempDir, TimeSpan readyWithin)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(dll)!, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + dll);
        ChildProcesses.Add(process, tempDir);
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var log = new StreamWriter(logPath) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ChildServer(process, log, url, tempDir);
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < readyWithin)
        {
            if (process.HasExited) { await server.DisposeAsync(); throw new InvalidOperationException($"{Path.GetFileName(dll)} exited with {process.ExitCode}; see {logPath}"); }
            try
            {
                using var r = await http.GetAsync("/health/ready");
                if (r.IsSuccessStatusCode) return server;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(250);
        }
        await server.DisposeAsync();
        throw new TimeoutException($"{Path.GetFileName(dll)} not ready within {readyWithin.TotalSeconds} s; see {logPath}");
    }

    /// <summary>Resident set size of the process, in bytes (Linux /proc; elsewhere the working set).</summary>
    public long RssBytes() => ReadRss(_process.Id);

    public static long ReadRss(int pid)
    {
        var status = $"/proc/{pid}/status";
        if (File.Exists(status))
        {
            foreach (var line in File.ReadLines(status))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        using var p = Process.GetProcessById(pid);
        return p.WorkingSet64;
    }

    /// <summary>CPU time used by the process so far.</summary>
    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(cts.Token);
            }
        }
        catch (Exception) { }
        ChildProcesses.Remove(_process);
        _process.Dispose();
        lock (_log) _log.Dispose();
        if (_tempDir is not null)
        {
            try { Directory.Delete(_tempDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}

/// <summary>
/// Every child process the tool started, so that SIGTERM / SIGINT (Ctrl-C) / a normal exit never leaves a spawned silo
/// or relay running: the default SIGTERM action would end this process without running any finally or dispose.
/// </summary>
internal static class ChildProcesses
{
    private static readonly Dictionary<Process, string?> Live = [];
    private static readonly List<PosixSignalRegistration> Registrations = [];

    public static void Add(Process process, string? tempDir) { lock (Live) Live[process] = tempDir; }
    public static void Remove(Process process) { lock (Live) Live.Remove(process); }

    /// <summary>Installs the handlers once, at the start of the tool.</summary>
    public static void EndOnSignals()
    {
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT })
            Registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                Console.Error.WriteLine($"{context.Signal}: stopping {KillAll()} child process(es)");
                // Not cancelled: the signal's default action ends this process after the children are gone.
            }));
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
    }

    /// <summary>Kills every live child (whole tree) and deletes its temp folder; returns how many there were.</summary>
    public static int KillAll()
    {
        KeyValuePair<Process, string?>[] all;
        lock (Live) { all = Live.ToArray(); Live.Clear(); }
        foreach (var (process, tempDir) in all)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException) { }
            catch (System.ComponentModel.Win32Exception) { }
            if (tempDir is not null)
            {
                try { Directory.Delete(tempDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
        return all.Length;
    }
}
