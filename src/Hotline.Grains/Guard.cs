using Hotline.Abstractions;

namespace Hotline.Grains;

/// <summary>Input checks that fail with a stable <see cref="HotlineException"/> code and change nothing.</summary>
internal static class Guard
{
    public static HotlineException Validation(string message) => new(HotlineException.Codes.Validation, message);
    public static HotlineException Forbidden(string message) => new(HotlineException.Codes.Forbidden, message);
    public static HotlineException NotFound(string message) => new(HotlineException.Codes.NotFound, message);
    public static HotlineException Conflict(string message) => new(HotlineException.Codes.Conflict, message);
    public static HotlineException Unavailable(string message) => new(HotlineException.Codes.Unavailable, message);

    /// <summary>Non-empty, at most <paramref name="maxLength"/>, no control or bidi-override characters (<see cref="Domain.TextRules"/>).</summary>
    public static string Text(string? text, int maxLength, string field)
    {
        if (Domain.TextRules.Check(text, field, maxLength) is { } problem) throw Validation(problem);
        return text!;
    }

    /// <summary>As <see cref="Text"/> for an optional field: null or empty passes.</summary>
    public static string? OptionalText(string? text, int maxLength, string field)
    {
        if (Domain.TextRules.Check(text, field, maxLength, required: false) is { } problem) throw Validation(problem);
        return string.IsNullOrEmpty(text) ? null : text;
    }

    public static string Id(string? id, string field, int maxLength = 100)
    {
        if (string.IsNullOrWhiteSpace(id)) throw Validation($"{field} must not be empty");
        if (id.Length > maxLength) throw Validation($"{field} is longer than {maxLength} characters");
        if (Domain.TextRules.FirstForbidden(id, multiline: false) is not null) throw Validation($"{field} contains a control character");
        return id;
    }
}
