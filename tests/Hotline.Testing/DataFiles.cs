using System.Text;

namespace Hotline.Testing;

/// <summary>Reads every file of a data folder byte by byte, to show what is (and is not) written on disk.</summary>
public static class DataFiles
{
    /// <summary>
    /// Whether any file under <paramref name="folder"/> holds <paramref name="text"/> as Latin-1 bytes (which finds the
    /// UTF-8 of ASCII text) or, with <paramref name="utf16Too"/>, also as UTF-16. Files are read as they are now, while
    /// open for writing elsewhere (a WAL may be truncated meanwhile).
    /// </summary>
    public static async Task<bool> Contain(string folder, string text, bool utf16Too = false)
    {
        foreach (var file in Directory.GetFiles(folder, "*", SearchOption.AllDirectories))
        {
            using var copy = new MemoryStream();
            await using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
                await stream.CopyToAsync(copy);
            var bytes = copy.ToArray();
            if (Encoding.Latin1.GetString(bytes).Contains(text, StringComparison.Ordinal)
                || (utf16Too && Encoding.Unicode.GetString(bytes).Contains(text, StringComparison.Ordinal)))
                return true;
        }
        return false;
    }
}
