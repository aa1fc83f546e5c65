using System.Security.Cryptography;

namespace Hotline.Silo.Security;

/// <summary>
/// PBKDF2-SHA256 password hashes (<c>pbkdf2-sha256$iterations$salt$hash</c>) at OWASP's 2023 level, 600,000 iterations
/// (<c>Hotline:Security:PasswordIterations</c>; test hosts lower it for speed). Older hashes with fewer iterations still
/// verify and are re-hashed on the next successful login (<see cref="NeedsRehash"/>).
/// </summary>
public static class PasswordHasher
{
    /// <summary>OWASP Password Storage Cheat Sheet: PBKDF2-HMAC-SHA256 with 600,000 iterations.</summary>
    public const int DefaultIterations = 600_000;

    /// <summary>Iterations used for new hashes (set once at start from configuration).</summary>
    public static int Iterations { get; set; } = DefaultIterations;

    /// <summary>A hash of a password nobody has, verified for unknown usernames so they cost the same as known ones.</summary>
    public static string DummyHash => _dummy ??= Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)));
    private static string? _dummy;

    public static string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, Iterations, HashAlgorithmName.SHA256, 32);
        return $"pbkdf2-sha256${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    public static bool Verify(string password, string encoded)
    {
        var parts = encoded.Split('$');
        if (parts.Length != 4 || parts[0] != "pbkdf2-sha256" || !int.TryParse(parts[1], out var iterations) || iterations < 1) return false;
        var salt = Convert.FromBase64String(parts[2]);
        var expected = Convert.FromBase64String(parts[3]);
        var actual = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>Whether a stored hash is weaker than today's setting (fewer iterations), so login should re-hash it.</summary>
    public static bool NeedsRehash(string encoded)
    {
        var parts = encoded.Split('$');
        return parts.Length != 4 || parts[0] != "pbkdf2-sha256" || !int.TryParse(parts[1], out var iterations) || iterations < Iterations;
    }
}
