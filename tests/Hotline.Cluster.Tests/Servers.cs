using System.Diagnostics;
using System.Net.Sockets;

namespace Hotline.Cluster.Tests;

/// <summary>A throwaway PostgreSQL in a temp folder, on a loopback port (initdb refuses root: runs as postgres).</summary>
public sealed class PostgresServer(string folder, int port)
{
    public int Port { get; } = port;
    public string DataDir { get; } = Path.Combine(folder, "pg");
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=hotline;Timeout=5;Command Timeout=15";
    private static string Tool(string name) => Path.Combine(Infra.PgBin, name);

    public async Task InitAndStart()
    {
        Infra.Require(Tool("initdb"));
        Infra.Require(Tool("pg_ctl"));
        Directory.CreateDirectory(DataDir);
        if (Infra.IsRoot)
        {
            await Infra.Run("chmod", $"755 {folder}");
            await Infra.Run("chown", $"postgres {DataDir}");
        }
        await Infra.Run(Tool("initdb"), $"-D {DataDir} -U postgres -A trust --no-sync", asPostgres: true, timeout: TimeSpan.FromSeconds(120));
        await Start();
        await Infra.Run(Tool("createdb"), $"-h 127.0.0.1 -p {Port} -U postgres hotline", asPostgres: true);
    }

    public Task Start() => Infra.Run(Tool("pg_ctl"),
        $"-D {DataDir} -l {DataDir}/server.log -w -t 60 -o \"-c listen_addresses=127.0.0.1 -p {Port} -k {DataDir}\" start", asPostgres: true, timeout: TimeSpan.FromSeconds(90));

    public Task Stop() => Infra.Run(Tool("pg_ctl"), $"-D {DataDir} -m fast -w stop", asPostgres: true, timeout: TimeSpan.FromSeconds(60));

    public string StopCommand => $"runuser -u postgres -- {Tool("pg_ctl")} -D {DataDir} -m immediate stop";

    public async Task StopQuietly()
    {
        try { await Infra.Run(Tool("pg_ctl"), $"-D {DataDir} -m immediate stop", asPostgres: true, timeout: TimeSpan.FromSeconds(30)); } catch { }
    }
}

/// <summary>redis-server on a loopback port, no persistence.</summary>
public sealed class RedisServer(int port) : IDisposable
{
    private Process? _process;
    public int Port { get; } = port;
    public string ConnectionString => $"127.0.0.1:{Port}";
    public Process Process => _process!;

    public async Task Start()
    {
        Infra.Require(Infra.RedisServer);
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

    public void Dispose()
    {
        try { _process?.Kill(entireProcessTree: true); _process?.WaitForExit(5000); } catch { }
        _process?.Dispose();
    }
}

/// <summary>One process of the built Hotline.Silo.dll with cluster-mode environment: a combined silo (default), a
/// grains-only silo or a front (<c>Hotline:Mode</c>).</summary>
public sealed class SiloProcess : IDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    public string Name { get; }
    public int HttpPort { get; }
    public int SiloPort { get; }
    public Uri Url => new($"http://127.0.0.1:{HttpPort}/");
    public Process Process => _process;
    public string LogPath { get; }
    public bool Killed { get; private set; }

    public SiloProcess(string name, string folder, string postgres, string redis, string clusterId, string signingKey,
        string mode = "combined", IReadOnlyDictionary<string, string>? environment = null)
    {
        Name = name;
        HttpPort = Infra.FreePort();
        SiloPort = Infra.FreePort();
        var gatewayPort = Infra.FreePort();
        var dll = Infra.SiloDll();
        var data = Path.Combine(folder, name + "-" + SiloPort);
        Directory.CreateDirectory(data);
        LogPath = data + ".log";
        var psi = new ProcessStartInfo("dotnet", [dll])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        var env = psi.Environment;
        env["ConnectionStrings__Postgres"] = postgres;
        env["ConnectionStrings__Redis"] = redis;
        env["Orleans__SiloPort"] = SiloPort.ToString();
        env["Orleans__GatewayPort"] = gatewayPort.ToString();
        env["Orleans__ClusterId"] = clusterId;
        env["Hotline__Jwt__SigningKey"] = signingKey;
        env["Hotline__DataPath"] = data;
        env["ASPNETCORE_URLS"] = Url.ToString().TrimEnd('/');
        env["ASPNETCORE_ENVIRONMENT"] = "Production";
        env["Hotline__Admin__Password"] = HotlineCluster.AdminPassword;
        env["Hotline__Gateway__ApiKey"] = "cluster-test-gateway-key-0123456789";
        env["Hotline__Limits__MaxOpenPerAddress"] = "100000";
        env["Hotline__RateLimits__LoginsPerAddressPerMinute"] = "100000";
        env["Hotline__RateLimits__WorkerTokensPerAddressPerMinute"] = "100000";
        env["DOTNET_gcServer"] = "0";
        env["Logging__LogLevel__Default"] = "Warning";
        env["Logging__LogLevel__Orleans.Runtime.MembershipService"] = "Information";
        env["Hotline__RateLimits__ConnectionPerSecond"] = "1000";
        env["Hotline__RateLimits__ConnectionBurst"] = "1000";
        env["Hotline__RateLimits__UserPerSecond"] = "1000";
        env["Hotline__RateLimits__UserBurst"] = "1000";
        env["Hotline__RateLimits__RestPerSecond"] = "1000";
        env["Hotline__RateLimits__RestBurst"] = "1000";
        env["Hotline__Mode"] = mode;
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) env[k] = v;
        _log = new StreamWriter(LogPath) { AutoFlush = true };
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.WriteLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.WriteLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>kill -9: no shutdown, no goodbye to the cluster.</summary>
    public void KillHard()
    {
        Killed = true;
        try { _process.Kill(entireProcessTree: true); _process.WaitForExit(5000); } catch (InvalidOperationException) { }
    }

    public string Tail(int lines = 40)
    {
        try
        {
            using var fs = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(fs);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException) { return ""; }
    }

    public void Dispose()
    {
        if (!_process.HasExited) KillHard();
        _process.Dispose();
        lock (_log) _log.Dispose();
    }
}
