using System.Security.Cryptography;

namespace Hotline.Domain;

/// <summary>
/// Resume codes (issue 11, item 5): a short code a worker types on another device to continue there. Eight characters
/// from a 32-letter alphabet without look-alikes (0/O, 1/I/L, U): 40 bits, shown as <c>ABCD-EFGH</c>. Typing is
/// forgiving: case, spaces, dashes and the look-alikes are mapped before the check.
/// </summary>
public static class ResumeCodes
{
    /// <summary>The letters of a code (Crockford's base 32).</summary>
    public const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    /// <summary>Characters in a code.</summary>
    public const int Length = 8;

    /// <summary>A fresh random code in display form (<c>ABCD-EFGH</c>).</summary>
    public static string New()
    {
        Span<char> chars = stackalloc char[Length];
        for (var i = 0; i < Length; i++) chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        return Format(new string(chars));
    }

    /// <summary>The canonical form (eight letters of <see cref="Alphabet"/>), or null when <paramref name="input"/> is no code.</summary>
    public static string? Normalize(string? input)
    {
        if (string.IsNullOrWhiteSpace(input) || input.Length > 32) return null;
        var chars = new List<char>(Length);
        foreach (var raw in input)
        {
            if (raw is ' ' or '-' or '\u00A0') continue;
            var c = char.ToUpperInvariant(raw) switch { 'O' => '0', 'I' or 'L' => '1', 'U' => 'V', var x => x };
            if (Alphabet.IndexOf(c) < 0) return null;
            chars.Add(c);
        }
        return chars.Count == Length ? new string(chars.ToArray()) : null;
    }

    /// <summary>Display form of a canonical code.</summary>
    public static string Format(string canonical) => canonical.Length == Length ? canonical[..4] + "-" + canonical[4..] : canonical;

    /// <summary>A code lapses at <paramref name="expiresAt"/> (inclusive).</summary>
    public static bool IsLive(DateTimeOffset expiresAt, DateTimeOffset now) => now < expiresAt;
}
