using System.Text;

namespace Hotline.Testing;

/// <summary>Reads every file of a data folder byte by byte, to show what is (and is not) written on disk.</summary>
public static class DataFiles
{
    /// <summary>
    /// Whether any file under <paramref name="folder"/> holds <paramref name="text"/> as UTF-8 bytes or, with
    /// <paramref name="utf16Too"/>, also as UTF-16 (at any byte offset). Files are read as they are now, while open for
    /// writing elsewhere (a WAL may be truncated meanwhile).
    /// </summary>
    public static async Task<bool> Contain(string folder, string text, bool utf16Too = false)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        var utf16 = Encoding.Unicode.GetBytes(text);
        foreach (var file in Directory.GetFiles(folder, "*", SearchOption.AllDirectories))
        {
            using var copy = new MemoryStream();
            await using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
                await stream.CopyToAsync(copy);
            var bytes = copy.GetBuffer().AsSpan(0, (int)copy.Length);
            if (bytes.IndexOf(utf8) >= 0 || (utf16Too && bytes.IndexOf(utf16) >= 0)) return true;
        }
        return false;
    }
}
