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
