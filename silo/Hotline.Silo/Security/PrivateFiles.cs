namespace Hotline.Silo.Security;

/// <summary>Secret files (keys) are created readable by their owner only: 0600 in a 0700 folder.</summary>
public static class PrivateFiles
{
    private const UnixFileMode FileMode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode DirMode700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates <paramref name="folder"/> (0700) if it does not exist.</summary>
    public static void CreateFolder(string folder)
    {
        if (Directory.Exists(folder)) return;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(folder);
        else Directory.CreateDirectory(folder, DirMode700);
    }

    /// <summary>Writes <paramref name="content"/> into a new 0600 file unless it exists (another process may win the race).</summary>
    public static void CreateIfMissing(string file, Func<string> content)
    {
        CreateFolder(Path.GetDirectoryName(file)!);
        if (File.Exists(file)) return;
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = FileMode600;
            using var stream = new FileStream(file, options);
            using var writer = new StreamWriter(stream);
            writer.Write(content());
        }
        catch (IOException) when (File.Exists(file))
        {
            // Created meanwhile by another silo sharing the folder.
        }
    }
}
