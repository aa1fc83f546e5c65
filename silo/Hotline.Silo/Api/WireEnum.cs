using System.Text.Json;
using Hotline.Abstractions;

namespace Hotline.Silo.Api;

/// <summary>Enum values on the wire are snake_case strings (<c>referred_legal_aid</c>); parsing fails with a clear code.</summary>
public static class WireEnum
{
    public static string Name<T>(T value) where T : struct, Enum => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());

    public static T Parse<T>(string? value, string field) where T : struct, Enum
    {
        foreach (var candidate in Enum.GetValues<T>())
            if (string.Equals(Name(candidate), value, StringComparison.Ordinal)) return candidate;
        throw new HotlineException(HotlineException.Codes.Validation,
            $"{field} must be one of {string.Join(", ", Enum.GetValues<T>().Select(Name))}");
    }
}
