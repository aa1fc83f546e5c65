using System.Diagnostics;
using System.Net.Sockets;

namespace Hotline.LoadGen;

/// <summary>
/// Throwaway PostgreSQL (initdb into a temp folder, as the postgres user when run as root) and redis-server on loopback
/// ports, for runs that need cluster mode (<c>--scenario topology</c>). Stopped and deleted on dispose.
/// </summary>
internal sealed class LocalCluster : IAsyncDisposable
{
    private const string PgBin = "/usr/lib/postgresql/15/bin";
    private readonly string _folder = Directory.CreateTempSubdirectory("hotline-loadgen-cluster-").FullName;
    private readonly int _pgPort = ChildServer.FreePort();
    private Process? _redis;

    public int RedisPort { get; } = ChildServer.FreePort();
    public string Redis => $"127.0.0.1:{RedisPort}";
    private string PgData => Path.Combine(_folder, "pg");

    public string Postgres(string database) => $"Host=127.0.0.1;Port={_pgPort};Username=postgres;Database={database};Timeout=5;Command Timeout=15";

    public static async Task<LocalCluster> Start()
    {
        var c = new LocalCluster();
        try
        {
            Directory.CreateDirectory(c.PgData);
            if (Environment.UserName == "root")
            {
                await Tool("chmod", $"755 {c._folder}", asPostgres: false);
                await Tool("chown", $"postgres {c.PgData}", asPostgres: false);
            }
            await Tool($"{PgBin}/initdb", $"-D {c.PgData} -U postgres -A trust --no-sync");
            await Tool($"{PgBin}/pg_ctl", $"-D {c.PgData} -l {c.PgData}/server.log -w -t 60 -o \"-c listen_addresses=127.0.0.1 -p {c._pgPort} -k {c.PgData}\" start");
            c._redis = Process.Start(new ProcessStartInfo("redis-server", $"--port {c.RedisPort} --bind 127.0.0.1 --save '' --appendonly no")
            { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true })!;
            for (var i = 0; i < 100; i++)
            {
                try { using var t = new TcpClient(); await t.ConnectAsync("127.0.0.1", c.RedisPort); return c; }
                catch (SocketException) { await Task.Delay(100); }
            }
            throw new TimeoutException("redis-server did not listen");
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    /// <summary>A fresh database (an empty database gets the schema when the first silo starts).</summary>
    public Task CreateDatabase(string name) => Tool($"{PgBin}/createdb", $"-h 127.0.0.1 -p {_pgPort} -U postgres {name}");

    private static async Task Tool(string file, string arguments, bool asPostgres = true)
    {
        var psi = asPostgres && Environment.UserName == "root" ? new ProcessStartInfo("runuser", $"-u postgres -- {file} {arguments}") : new ProcessStartInfo(file, arguments);
        psi.RedirectStandardOutput = psi.RedirectStandardError = true;
        using var p = Process.Start(psi)!;
        var output = Task.WhenAll(p.StandardOutput.ReadToEndAsync(), p.StandardError.ReadToEndAsync());
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {arguments}: exit {p.ExitCode}: {string.Concat(await output)}");
    }

    public async ValueTask DisposeAsync()
    {
        try { _redis?.Kill(); } catch (InvalidOperationException) { }
        try { await Tool($"{PgBin}/pg_ctl", $"-D {PgData} -m immediate stop"); } catch (Exception) { }
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
