using Npgsql;

namespace Hotline.Testing;

/// <summary>
/// A real, throwaway PostgreSQL server: initdb in a temp folder, pg_ctl start on a free loopback port, stopped (and its
/// own folder deleted) on dispose. Fails loudly (never skips) when the binaries are missing. initdb refuses root, so as
/// root the binaries run as the <c>postgres</c> user through runuser. Usable as an xunit fixture (parameterless) or
/// inside a cluster's scratch folder.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private readonly string _folder;
    private readonly bool _ownsFolder;
    private int _databases;

    /// <summary>A server in its own temp folder on a free port (the fixture form); call <see cref="InitializeAsync"/>.</summary>
    public PostgresServer() : this(Directory.CreateTempSubdirectory("hotline-pg-").FullName, Infra.FreePort()) => _ownsFolder = true;

    /// <summary>A server whose data lives in <paramref name="folder"/>/pg (the caller deletes the folder).</summary>
    public static PostgresServer In(string folder, int port) => new(folder, port);

    // One public constructor only: xunit requires it of a collection fixture.
    private PostgresServer(string folder, int port)
    {
        _folder = folder;
        Port = port;
    }

    public int Port { get; }
    public string DataDir => Path.Combine(_folder, "pg");
    /// <summary>The <c>hotline</c> database that <see cref="InitAndStartAsync"/> creates.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=hotline;Timeout=5;Command Timeout=15";
    private static string Tool(string name) => Path.Combine(Infra.PgBin, name);

    public Task InitializeAsync() => InitAndStartAsync();

    /// <summary>initdb, start, and create the <c>hotline</c> database.</summary>
    public async Task InitAndStartAsync()
    {
        Infra.Require(Tool("initdb"));
        Infra.Require(Tool("pg_ctl"));
        Directory.CreateDirectory(DataDir);
        if (Infra.IsRoot)
        {
            await Infra.Run("chmod", $"755 {_folder}");
            await Infra.Run("chown", $"postgres {DataDir}");
        }
        await Infra.Run(Tool("initdb"), $"-D {DataDir} -U postgres -A trust --no-sync -E UTF8", asPostgres: true, timeout: TimeSpan.FromSeconds(120));
        await StartAsync();
        await Infra.Run(Tool("createdb"), $"-h 127.0.0.1 -p {Port} -U postgres hotline", asPostgres: true);
    }

    /// <summary>pg_ctl start -w (returns when the server accepts connections).</summary>
    public Task StartAsync() => Infra.Run(Tool("pg_ctl"),
        $"-D {DataDir} -l {DataDir}/server.log -w -t 60 -o \"-c listen_addresses=127.0.0.1 -p {Port} -k {DataDir}\" start", asPostgres: true, timeout: TimeSpan.FromSeconds(90));

    /// <summary>pg_ctl stop -m fast: disconnects clients (57P01 admin_shutdown) and waits until the server is down.</summary>
    public Task StopAsync() => Infra.Run(Tool("pg_ctl"), $"-D {DataDir} -m fast -w stop", asPostgres: true, timeout: TimeSpan.FromSeconds(60));

    /// <summary>The shell command a watchdog runs to stop this server when the test host died.</summary>
    public string StopCommand => $"runuser -u postgres -- {Tool("pg_ctl")} -D {DataDir} -m immediate stop";

    /// <summary>pg_ctl stop -m immediate, ignoring failures (already stopped).</summary>
    public async Task StopQuietlyAsync()
    {
        try { await Infra.Run(Tool("pg_ctl"), $"-D {DataDir} -m immediate stop", asPostgres: true, timeout: TimeSpan.FromSeconds(30)); } catch { }
    }

    /// <summary>Creates a database (a fresh name unless given) and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string? name = null)
    {
        name ??= $"hotline_{Interlocked.Increment(ref _databases)}";
        await Infra.Run(Tool("createdb"), $"-h 127.0.0.1 -p {Port} -U postgres {name}", asPostgres: true);
        return new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = "postgres", Database = name, Timeout = 5 }.ToString();
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await StopQuietlyAsync();
        if (_ownsFolder)
            try { Directory.Delete(_folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
