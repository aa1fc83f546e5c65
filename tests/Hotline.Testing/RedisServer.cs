using System.Diagnostics;
using System.Net.Sockets;

namespace Hotline.Testing;

/// <summary>redis-server on a loopback port. Without <paramref name="dataFolder"/> it keeps nothing; with one it runs as
/// deployed (docker-compose.yml: AOF, fsync every second, no RDB snapshots) and a restart finds its data again. Can be
/// frozen (SIGSTOP) and thawed (SIGCONT) to simulate a Redis that hangs, stopped (SIGTERM) or killed (SIGKILL), and
/// started again on the same port, with its data or emptied (<see cref="Wipe"/>).</summary>
public sealed class RedisServer(int port, string? dataFolder = null) : IDisposable
{
    private Process? _process;
    public int Port { get; } = port;
    public string ConnectionString => $"127.0.0.1:{Port}";
    public Process Process => _process!;
    /// <summary>Raised with each redis-server process started (a watchdog adds it to the processes it kills).</summary>
    public event Action<Process>? Started;

    public async Task Start()
    {
        Infra.Require(Infra.RedisServer);
        _process?.Dispose();
        var persistence = "--save '' --appendonly no";
        if (dataFolder is not null)
        {
            Directory.CreateDirectory(dataFolder);
            persistence = $"--save '' --appendonly yes --appendfsync everysec --dir {dataFolder}";
        }
        _process = Process.Start(new ProcessStartInfo(Infra.RedisServer, $"--port {Port} --bind 127.0.0.1 {persistence} --daemonize no")
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        })!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Started?.Invoke(_process);
        // Ready when it answers PING: with AOF it accepts connections before the data is loaded (answers LOADING).
        var until = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < until)
        {
            if (_process.HasExited) throw new InvalidOperationException($"redis-server exited with {_process.ExitCode}");
            try
            {
                if ((await Cli("PING")).Trim() == "PONG") return;
            }
            catch (InvalidOperationException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException("redis-server did not answer PING");
    }

    /// <summary>SIGSTOP: the port stays open but nothing answers (a hung Redis).</summary>
    public Task Freeze() => Signal("STOP");

    /// <summary>SIGCONT after <see cref="Freeze"/>.</summary>
    public Task Thaw() => Signal("CONT");

    /// <summary>Ends redis-server with <paramref name="signal"/> (TERM: an operator's stop, it flushes the AOF; KILL: a
    /// crash) and waits until it is gone; the port then refuses connections.</summary>
    public async Task Stop(string signal = "TERM")
    {
        await Signal(signal);
        using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Process.WaitForExitAsync(exited.Token);
    }

    /// <summary>Deletes the persisted data (while stopped): the next <see cref="Start"/> begins empty.</summary>
    public void Wipe()
    {
        if (dataFolder is not null && Directory.Exists(dataFolder)) Directory.Delete(dataFolder, recursive: true);
    }

    /// <summary>redis-cli against this server; its standard output.</summary>
    public async Task<string> Cli(params string[] args)
    {
        var info = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-p", Port.ToString() }.Concat(args)) info.ArgumentList.Add(a);
        using var p = Process.Start(info) ?? throw new InvalidOperationException("redis-cli did not start");
        var text = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"redis-cli {string.Join(' ', args)} failed: {await p.StandardError.ReadToEndAsync()}");
        return text;
    }

    private async Task Signal(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", Process.Id.ToString()]);
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -{signal} {Process.Id} failed");
    }

    public void Dispose()
    {
        try { _process?.Kill(entireProcessTree: true); _process?.WaitForExit(5000); } catch { }
        _process?.Dispose();
        _process = null;
    }
}
