using System.Diagnostics;
using System.Net.Sockets;

namespace Hotline.Testing;

/// <summary>redis-server on a loopback port, no persistence. Can be frozen (SIGSTOP) and thawed (SIGCONT) to simulate a
/// Redis that hangs, or killed and started again on the same port.</summary>
public sealed class RedisServer(int port) : IDisposable
{
    private Process? _process;
    public int Port { get; } = port;
    public string ConnectionString => $"127.0.0.1:{Port}";
    public Process Process => _process!;

    public async Task Start()
    {
        Infra.Require(Infra.RedisServer);
        _process?.Dispose();
        _process = Process.Start(new ProcessStartInfo(Infra.RedisServer, $"--port {Port} --bind 127.0.0.1 --save '' --appendonly no --daemonize no")
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        })!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var until = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < until)
        {
            if (_process.HasExited) throw new InvalidOperationException($"redis-server exited with {_process.ExitCode}");
            try { using var c = new TcpClient(); await c.ConnectAsync("127.0.0.1", Port); return; } catch (SocketException) { await Task.Delay(100); }
        }
        throw new TimeoutException("redis-server did not listen");
    }

    /// <summary>SIGSTOP: the port stays open but nothing answers (a hung Redis).</summary>
    public Task Freeze() => Signal("STOP");

    /// <summary>SIGCONT after <see cref="Freeze"/>.</summary>
    public Task Thaw() => Signal("CONT");

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
