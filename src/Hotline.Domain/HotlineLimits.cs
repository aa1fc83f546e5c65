namespace Hotline.Domain;

/// <summary>
/// Every size limit and abuse limit in one place (section <c>Hotline:Limits</c>): endpoints, hubs, grains and the pages
/// (through <c>GET /api/limits</c>) all read this type, so a limit cannot differ between layers.
/// </summary>
public sealed class HotlineLimits
{
    /// <summary>Longest chat message.</summary>
    public int MaxMessageLength { get; set; } = 4000;
    /// <summary>Longest consultation summary written by a worker.</summary>
    public int MaxSummaryLength { get; set; } = 2000;
    /// <summary>Longest private note.</summary>
    public int MaxNoteLength { get; set; } = 4000;
    /// <summary>Longest lawyer's closing summary or advice.</summary>
    public int MaxCloseTextLength { get; set; } = 4000;
    /// <summary>Longest worker comment on a rating.</summary>
    public int MaxCommentLength { get; set; } = 2000;
    /// <summary>Longest display name (worker or lawyer).</summary>
    public int MaxDisplayNameLength { get; set; } = 50;
    /// <summary>Longest employer name.</summary>
    public int MaxEmployerLength { get; set; } = 100;
    /// <summary>Shortest and longest reason of an admin's transcript access.</summary>
    public int MinReasonLength { get; set; } = 10;
    /// <summary>Longest reason of an admin's transcript access.</summary>
    public int MaxReasonLength { get; set; } = 500;
    /// <summary>Shortest and longest password.</summary>
    public int MinPasswordLength { get; set; } = 8;
    /// <summary>Longest password accepted (hashing cost is bounded).</summary>
    public int MaxPasswordLength { get; set; } = 256;
    /// <summary>Largest request body in bytes, enforced before any parsing.</summary>
    public long MaxRequestBodyBytes { get; set; } = 64 * 1024;
    /// <summary>Open (queued, offered, active) consultations one worker may have at once.</summary>
    public int MaxOpenPerWorker { get; set; } = 3;
    /// <summary>Open consultations from one client address at once (a carrier NAT or a union office shares one).</summary>
    public int MaxOpenPerAddress { get; set; } = 30;
    /// <summary>Consultations waiting in the queue at most; beyond it new ones are refused with <c>unavailable</c>.</summary>
    public int MaxQueued { get; set; } = 5000;
}

/// <summary>Text checks shared by every layer: control and bidirectional-override characters are refused.</summary>
public static class TextRules
{
    /// <summary>
    /// The first forbidden character in <paramref name="text"/>, or null. Forbidden: C0/C1 controls except tab, line feed
    /// and carriage return (when <paramref name="multiline"/>), and the bidi embedding/override/isolate marks that can
    /// disguise text (U+202A..U+202E, U+2066..U+2069, U+200E, U+200F, U+061C), lone surrogates and the BMP
    /// noncharacters (U+FFFE, U+FFFF, U+FDD0..U+FDEF).
    /// </summary>
    public static char? FirstForbidden(string text, bool multiline = true)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (multiline && c is '\n' or '\r' or '\t') continue;
            if (char.IsControl(c) || IsBidiControl(c)) return c;
            // A lone surrogate is not text: normalising it throws (found by the fuzzer: internal_error on an employer name).
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            if (char.IsSurrogate(c)) return c;
            // Noncharacters (U+FFFE, U+FFFF, U+FDD0..U+FDEF) are not text either, and U+FFFE fails the normalisation the
            // same way (found by the long fuzz run: DeclareConflict with "\uFFFF\uFFFE\uFEFF" answered an uncoded error).
            if (c is '\uFFFE' or '\uFFFF' or >= '\uFDD0' and <= '\uFDEF') return c;
        }
        return null;
    }

    /// <summary>Whether <paramref name="c"/> is a bidirectional formatting character.</summary>
    public static bool IsBidiControl(char c) => c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069' or '\u200E' or '\u200F' or '\u061C';

    /// <summary>Null when the text is acceptable, else why not (for a <c>validation_failed</c> answer).</summary>
    public static string? Check(string? text, string field, int maxLength, bool required = true, int minLength = 0, bool multiline = true)
    {
        if (string.IsNullOrWhiteSpace(text)) return required ? $"{field} must not be empty" : null;
        if (text.Length > maxLength) return $"{field} is longer than {maxLength} characters";
        if (text.Length < minLength) return $"{field} is shorter than {minLength} characters";
        return FirstForbidden(text, multiline) is { } bad ? $"{field} contains a control character (U+{(int)bad:X4})" : null;
    }
}
