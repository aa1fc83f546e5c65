using Hotline.Abstractions;
using Hotline.Domain;

namespace Hotline.Silo.Api;

/// <summary>Input checks of endpoints and hubs (lengths from <see cref="HotlineLimits"/>, characters from <see cref="TextRules"/>).</summary>
public static class Validation
{
    public static HotlineException Failed(string detail) => new(HotlineException.Codes.Validation, detail);

    /// <summary>Required text within the limits and without control or bidi characters.</summary>
    public static string Text(string? value, string field, int maxLength, int minLength = 0, bool multiline = true)
    {
        if (TextRules.Check(value, field, maxLength, required: true, minLength, multiline) is { } problem) throw Failed(problem);
        return value!;
    }

    /// <summary>A lawyer's display name (shown to workers): 1-64 characters, one line, not blank.</summary>
    public static string DisplayName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) throw Failed("displayName must be 1-64 characters");
        return Text(name, "displayName", 64, 1, multiline: false);
    }

    /// <summary>
    /// A [from, to] window from optional query values: <c>to</c> defaults to <paramref name="now"/>, <c>from</c> to
    /// <c>to - defaultSpan</c>. Dates outside the years 2000..2999 are refused (date arithmetic near the ends of the
    /// calendar overflows), as are reversed windows and windows wider than <paramref name="maxSpan"/> (one grain call or
    /// one row per hour or day of the window).
    /// </summary>
    public static (DateTimeOffset From, DateTimeOffset To) Period(DateTimeOffset? from, DateTimeOffset? to, TimeSpan defaultSpan, TimeSpan maxSpan, DateTimeOffset now)
    {
        static bool Sane(DateTimeOffset? d) => d is null || d.Value.UtcDateTime.Year is >= 2000 and <= 2999;
        if (!Sane(from) || !Sane(to)) throw Failed("from and to must be dates between the years 2000 and 2999");
        var end = to ?? now;
        var start = from ?? end - defaultSpan;
        if (start > end) throw Failed("from is after to");
        if (end - start > maxSpan) throw Failed($"from..to spans more than {maxSpan.TotalDays:0} days");
        return (start, end);
    }

    /// <summary>Optional text: null or empty passes; otherwise as <see cref="Text"/>.</summary>
    public static string? OptionalText(string? value, string field, int maxLength, bool multiline = true)
    {
        if (TextRules.Check(value, field, maxLength, required: false, multiline: multiline) is { } problem) throw Failed(problem);
        return string.IsNullOrEmpty(value) ? null : value;
    }
}

/// <summary>The one phone-number validator (libphonenumber): numbers become E.164, Chinese numbers need no +86.</summary>
public static class PhoneNumbers
{
    private static readonly global::PhoneNumbers.PhoneNumberUtil Util = global::PhoneNumbers.PhoneNumberUtil.GetInstance();

    /// <summary>The number in E.164 (<c>+8613800000001</c>), or null when it is not a possible phone number.</summary>
    public static string? Normalize(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw) || raw.Length > 32 || TextRules.FirstForbidden(raw, multiline: false) is not null) return null;
        try
        {
            var number = Util.Parse(raw.Trim(), "CN");
            return Util.IsPossibleNumber(number) ? Util.Format(number, global::PhoneNumbers.PhoneNumberFormat.E164) : null;
        }
        catch (global::PhoneNumbers.NumberParseException)
        {
            return null;
        }
    }
}
