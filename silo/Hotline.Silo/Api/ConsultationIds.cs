using Hotline.Abstractions;

namespace Hotline.Silo.Api;

/// <summary>Consultation ids: <c>c-</c> and 32 hex digits. Anything else is refused before a grain is touched.</summary>
public static class ConsultationIds
{
    public static string New() => "c-" + Guid.NewGuid().ToString("N");

    public static string Validate(string? id)
    {
        if (id is null || id.Length != 34 || !id.StartsWith("c-", StringComparison.Ordinal) || !id.AsSpan(2).ContainsOnlyHex())
            throw new HotlineException(HotlineException.Codes.Validation, "consultationId is malformed");
        return id;
    }

    private static bool ContainsOnlyHex(this ReadOnlySpan<char> s)
    {
        foreach (var c in s) if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c)) return false;
        return true;
    }
}
