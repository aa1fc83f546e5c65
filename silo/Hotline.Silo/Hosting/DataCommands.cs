using Hotline.Storage;

namespace Hotline.Silo.Hosting;

/// <summary>
/// Operator commands of the silo binary for the embedded (SQLite) store, run instead of the server:
/// <c>backup &lt;file&gt;</c> copies the live database online (the silo may keep running) and
/// <c>restore &lt;file&gt;</c> puts a backup into a fresh data folder. Both read <c>Hotline:DataPath</c> like the
/// server does (appsettings, environment, <c>--Hotline:DataPath=...</c>). The JWT key file of the data folder travels
/// with the backup (<c>&lt;file&gt;.jwt-signing.key</c>), so workers' tokens still work after a restore.
/// </summary>
public static class DataCommands
{
    private const string KeyFile = "jwt-signing.key";

    /// <summary>True when the first argument names a command rather than server options.</summary>
    public static bool IsCommand(string[] args) => args.Length > 0 && args[0] is "backup" or "restore";

    /// <summary>Runs the command; returns the process exit code (0 done, 1 failed, 2 usage).</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 2 || args[1].StartsWith("--", StringComparison.Ordinal))
        {
            await Console.Error.WriteLineAsync("usage: Hotline.Silo backup <file> [--Hotline:DataPath=<folder>]\n" +
                                               "       Hotline.Silo restore <file> --Hotline:DataPath=<fresh folder>");
            return 2;
        }
        var configuration = WebApplication.CreateBuilder(args[2..]).Configuration;
        var settings = HotlineSettings.From(configuration);
        if (settings.ClusterMode)
        {
            await Console.Error.WriteLineAsync("cluster mode keeps its data in PostgreSQL: use pg_dump / pg_restore (see README)");
            return 2;
        }
        var database = Path.Combine(settings.DataPath, "hotline.db");
        var file = Path.GetFullPath(args[1]);
        try
        {
            SqliteBackupResult result;
            if (args[0] == "backup")
            {
                result = await SqliteBackup.BackupAsync(database, file);
                CopyIfPresent(Path.Combine(settings.DataPath, KeyFile), file + "." + KeyFile, overwrite: true);
            }
            else
            {
                result = await SqliteBackup.RestoreAsync(file, settings.DataPath);
                CopyIfPresent(file + "." + KeyFile, Path.Combine(settings.DataPath, KeyFile), overwrite: false);
            }
            Console.WriteLine($"{args[0]}: {result.File} (schema {result.SchemaVersion}, {result.GrainStates} grain states, {result.Messages} messages)");
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            await Console.Error.WriteLineAsync($"{args[0]} failed: {e.Message}");
            return 1;
        }
    }

    private static void CopyIfPresent(string from, string to, bool overwrite)
    {
        if (File.Exists(from)) File.Copy(from, to, overwrite);
    }
}
