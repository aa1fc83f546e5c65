using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Hotline.Storage.Tests;

/// <summary>
/// A real, throw-away PostgreSQL server: initdb in a temp folder, pg_ctl start on a free port, stopped and deleted
/// on dispose. Fails loudly (never skips) when the PostgreSQL binaries are missing. As root (initdb refuses root) the
/// binaries run as the <c>postgres</c> user through runuser.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "hotline-pg-" + Guid.NewGuid().ToString("N")[..12]);
    private string _bin = "";
    private int _databases;

    public int Port { get; private set; }
    private string DataDir => Path.Combine(_root, "data");
    private static bool IsRoot => Environment.UserName == "root";

    public async Task InitializeAsync()
    {
        _bin = FindBinDir();
        Directory.CreateDirectory(_root);
        if (IsRoot) await RunAsync("chown", ["-R", "postgres:postgres", _root], asPostgres: false);
        Port = FreePort();
        await RunAsync(Path.Combine(_bin, "initdb"), ["-D", DataDir, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
        await StartAsync();
    }

    public async Task DisposeAsync()
    {
        try
        {
            NpgsqlConnection.ClearAllPools();
            await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDir, "-m", "immediate", "-w", "stop"]);
        }
        catch
        {
            // best effort: the folder goes anyway.
        }
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>pg_ctl start -w (returns when the server accepts connections).</summary>
    public Task StartAsync() => RunAsync(Path.Combine(_bin, "pg_ctl"),
        ["-D", DataDir, "-l", Path.Combine(_root, "postgres.log"), "-o", $"-p {Port} -k {_root} -c listen_addresses=127.0.0.1", "-w", "start"]);

    /// <summary>pg_ctl stop -m fast: disconnects clients (57P01 admin_shutdown) and waits until the server is down.</summary>
    public Task StopAsync() => RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDir, "-m", "fast", "-w", "stop"]);

    /// <summary>Creates a fresh database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"hotline_{Interlocked.Increment(ref _databases)}";
        await using (var admin = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false"))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }
        return ConnectionString(name);
    }

    private string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = "postgres", Database = database, Timeout = 5 }.ToString();

    private static string FindBinDir()
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
            : throw new InvalidOperationException(
                $"PostgreSQL server binaries (initdb, pg_ctl) not found under {root}/*/bin: install postgresql to run the PostgreSQL storage tests.");
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static async Task RunAsync(string file, string[] args, bool asPostgres = true)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (asPostgres && IsRoot)
        {
            start.FileName = "runuser";
            foreach (var a in (string[])["-u", "postgres", "--", file]) start.ArgumentList.Add(a);
        }
        else
        {
            start.FileName = file;
        }
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}:\n{await stdout}\n{await stderr}");
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL server";
}
