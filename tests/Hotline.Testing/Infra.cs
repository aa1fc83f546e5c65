using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Hotline.Testing;

/// <summary>Helpers for child processes: free loopback ports, running tools, locating binaries and built projects.</summary>
public static class Infra
{
    public const string RedisServer = "/usr/bin/redis-server";

    private static readonly Lazy<string> PgBinDir = new(FindPgBin);

    /// <summary>The newest PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin.</summary>
    public static string PgBin => PgBinDir.Value;

    // Ports are handed out below Linux's ephemeral range (32768-60999): a port the kernel picked for "port 0" and this
    // process released could be picked again, by another test or by any process's outgoing connection, before the child
    // that was given it binds it (a restarted silo failed so: address already in use). Each port is handed out once per
    // test process, from a random start, so two test processes (or runs) rarely walk the same ports at once.
    private const int FirstPort = 20000, EndPort = 32768;
    private static readonly Lock PortLock = new();
    private static readonly HashSet<int> Issued = [];
    private static int _nextPort = FirstPort + Random.Shared.Next(EndPort - FirstPort);

    /// <summary>A loopback TCP port nobody listens on right now and that this process has not handed out before.</summary>
    public static int FreePort()
    {
        lock (PortLock)
        {
            for (var tried = 0; tried < EndPort - FirstPort; tried++)
            {
                var port = _nextPort;
                _nextPort = _nextPort + 1 >= EndPort ? FirstPort : _nextPort + 1;
                if (!Issued.Add(port)) continue;
                try
                {
                    using var l = new TcpListener(IPAddress.Loopback, port);
                    l.Start();
                    return port;
                }
                catch (SocketException)
                {
                    // In use: try the next one.
                }
            }
        }
        throw new InvalidOperationException($"no free loopback port left in {FirstPort}-{EndPort - 1}");
    }

    public static void Require(string path)
    {
        if (!File.Exists(path)) throw new InvalidOperationException($"These tests need {path}, which is missing. Install it; these tests do not skip.");
    }

    public static bool IsRoot => Environment.UserName == "root";

    /// <summary>Runs a tool to completion (as the postgres user when we are root), failing loudly on a non-zero exit.</summary>
    public static Task<string> Run(string file, string arguments, bool asPostgres = false, TimeSpan? timeout = null)
    {
        var psi = asPostgres && IsRoot
            ? new ProcessStartInfo("runuser", $"-u postgres -- {file} {arguments}")
            : new ProcessStartInfo(file, arguments);
        return Run(psi, $"{file} {arguments}", timeout);
    }

    /// <summary>Runs a tool with an argument list (no shell quoting), as the postgres user when asked and we are root.</summary>
    public static Task<string> Run(string file, IEnumerable<string> arguments, bool asPostgres = false, TimeSpan? timeout = null)
    {
        var args = arguments.ToList();
        var psi = new ProcessStartInfo(asPostgres && IsRoot ? "runuser" : file);
        if (asPostgres && IsRoot) foreach (var a in (string[])["-u", "postgres", "--", file]) psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Run(psi, $"{file} {string.Join(' ', args)}", timeout);
    }

    private static async Task<string> Run(ProcessStartInfo psi, string what, TimeSpan? timeout)
    {
        psi.RedirectStandardOutput = psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        using var p = Process.Start(psi)!;
        var output = new StringBuilder();
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { p.Kill(true); throw new TimeoutException($"{what} did not finish"); }
        output.Append(await so).Append(await se);
        if (p.ExitCode != 0) throw new InvalidOperationException($"{what} exited with {p.ExitCode}: {output}");
        return output.ToString();
    }

    /// <summary>The repository root (folder holding Hotline12351.sln).</summary>
    public static string RepoRoot()
    {
        // A copy of a built tool run from elsewhere (e.g. a long fuzz run while the tree is rebuilt) names the tree.
        if (Environment.GetEnvironmentVariable("HOTLINE_REPO_ROOT") is { Length: > 0 } root) return root;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Hotline12351.sln"))) return dir.FullName;
        throw new InvalidOperationException("Hotline12351.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The configuration the running test assembly was built in (bin/&lt;Configuration&gt;/net10.0/).</summary>
    public static string Configuration =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";

    /// <summary>The built silo (the test project builds it first, same configuration).</summary>
    public static string SiloDll()
    {
        if (Environment.GetEnvironmentVariable("HOTLINE_SILO_DLL") is { Length: > 0 } dll) return dll;
        var candidates = new[]
        {
            Path.Combine(RepoRoot(), "silo", "Hotline.Silo", "bin", Configuration, "net10.0", "Hotline.Silo.dll"),
            Path.Combine(AppContext.BaseDirectory, "Hotline.Silo.dll"),
        };
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("Hotline.Silo.dll not found (looked in " + string.Join(", ", candidates) + "); build silo/Hotline.Silo.");
    }

    /// <summary>The built tool <c>tools/&lt;name&gt;/bin/&lt;Configuration&gt;/net10.0/&lt;name&gt;.dll</c>.</summary>
    public static string ToolDll(string name)
    {
        var dll = Path.Combine(RepoRoot(), "tools", name, "bin", Configuration, "net10.0", name + ".dll");
        Assert.True(File.Exists(dll), $"{dll} is not built");
        return dll;
    }

    private static string FindPgBin()
    {
        const string root = "/usr/lib/postgresql";
        var candidates = Directory.Exists(root)
            ? Directory.GetDirectories(root)
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(c => File.Exists(Path.Combine(c.Dir, "initdb")) && File.Exists(Path.Combine(c.Dir, "pg_ctl")))
                .OrderByDescending(c => c.Version)
                .ToList()
            : [];
        return candidates.Count > 0
            ? candidates[0].Dir
            : throw new InvalidOperationException($"PostgreSQL server binaries (initdb, pg_ctl) not found under {root}/*/bin: install postgresql; these tests do not skip.");
    }
}

/// <summary>
/// Kills registered child processes when the test host exits, and — through a small shell watchdog — even when the
/// test host itself is killed: the watchdog polls the test host's pid and kills the pids listed in a file.
/// </summary>
public sealed class ChildGuard : IDisposable
{
    private readonly string _pidFile;
    private readonly Process _watchdog;
    private readonly HashSet<int> _pids = [];

    public ChildGuard(string folder, string extraCleanup)
    {
        _pidFile = Path.Combine(folder, "children.pids");
        File.WriteAllText(_pidFile, "");
        var script = $"while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 1; done; " +
                     $"for p in $(cat '{_pidFile}' 2>/dev/null); do kill -9 $p 2>/dev/null; done; {extraCleanup}; rm -rf '{folder}'";
        _watchdog = Process.Start(new ProcessStartInfo("setsid", ["bash", "-c", script]) { UseShellExecute = false })!;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
    }

    public void Add(Process p)
    {
        lock (_pids) { _pids.Add(p.Id); File.WriteAllLines(_pidFile, _pids.Select(x => x.ToString())); }
    }

    public void Remove(Process p)
    {
        lock (_pids) { _pids.Remove(p.Id); File.WriteAllLines(_pidFile, _pids.Select(x => x.ToString())); }
    }

    private void KillAll()
    {
        int[] pids;
        lock (_pids) pids = _pids.ToArray();
        foreach (var pid in pids)
        {
            try { Process.GetProcessById(pid).Kill(entireProcessTree: true); } catch { }
        }
    }

    public void Dispose()
    {
        KillAll();
        try { _watchdog.Kill(); } catch { }
        _watchdog.Dispose();
    }
}

/// <summary>A built .NET tool (LoadGen, Relay...) run as a child process to its end.</summary>
public static class ToolProcess
{
    /// <summary>Runs <c>dotnet &lt;dll&gt; args</c>; fails the test when it does not end within <paramref name="within"/>.
    /// Returns the exit code and stdout + stderr.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string dll, IEnumerable<string> args, TimeSpan within)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(within);
        try { await process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{Path.GetFileName(dll)} did not finish within {within.TotalSeconds:0} s:\n" + await stdout);
        }
        return (process.ExitCode, await stdout + await stderr);
    }
}
