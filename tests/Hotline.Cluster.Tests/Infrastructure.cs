using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Hotline.Cluster.Tests;

/// <summary>Helpers for child processes: free loopback ports, running tools, locating binaries.</summary>
public static class Infra
{
    public const string PgBin = "/usr/lib/postgresql/15/bin";
    public const string RedisServer = "/usr/bin/redis-server";

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public static void Require(string path)
    {
        if (!File.Exists(path)) throw new InvalidOperationException($"Cluster tests need {path}, which is missing. Install it; these tests do not skip.");
    }

    public static bool IsRoot => Environment.UserName == "root";

    /// <summary>Runs a tool to completion (as the postgres user when we are root), failing loudly on a non-zero exit.</summary>
    public static async Task<string> Run(string file, string arguments, bool asPostgres = false, TimeSpan? timeout = null)
    {
        var psi = asPostgres && IsRoot
            ? new ProcessStartInfo("runuser", $"-u postgres -- {file} {arguments}")
            : new ProcessStartInfo(file, arguments);
        psi.RedirectStandardOutput = psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        using var p = Process.Start(psi)!;
        var output = new StringBuilder();
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { p.Kill(true); throw new TimeoutException($"{file} {arguments} did not finish"); }
        output.Append(await so).Append(await se);
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {arguments} exited with {p.ExitCode}: {output}");
        return output.ToString();
    }

    /// <summary>The repository root (folder holding Hotline12351.sln).</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Hotline12351.sln"))) return dir.FullName;
        throw new InvalidOperationException("Hotline12351.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The built silo (the test project builds it first, same configuration).</summary>
    public static string SiloDll()
    {
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        var candidates = new[]
        {
            Path.Combine(RepoRoot(), "silo", "Hotline.Silo", "bin", configuration, "net10.0", "Hotline.Silo.dll"),
            Path.Combine(AppContext.BaseDirectory, "Hotline.Silo.dll"),
        };
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("Hotline.Silo.dll not found (looked in " + string.Join(", ", candidates) + "); build silo/Hotline.Silo.");
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
