using Hotline.Abstractions;

namespace Hotline.Grains;

/// <summary>Input checks that fail with a stable <see cref="HotlineException"/> code and change nothing.</summary>
internal static class Guard
{
    public static HotlineException Validation(string message) => new(HotlineException.Codes.Validation, message);
    public static HotlineException Forbidden(string message) => new(HotlineException.Codes.Forbidden, message);
    public static HotlineException NotFound(string message) => new(HotlineException.Codes.NotFound, message);
    public static HotlineException Conflict(string message) => new(HotlineException.Codes.Conflict, message);

    public static string Text(string? text, int maxLength, string field)
    {
        if (string.IsNullOrWhiteSpace(text)) throw Validation($"{field} must not be empty");
        if (text.Length > maxLength) throw Validation($"{field} is longer than {maxLength} characters");
        return text;
    }

    public static string Id(string? id, string field, int maxLength = 100)
    {
        if (string.IsNullOrWhiteSpace(id)) throw Validation($"{field} must not be empty");
        if (id.Length > maxLength) throw Validation($"{field} is longer than {maxLength} characters");
        return id;
    }
}
