using System.Security.Cryptography;
using System.Text;
using Hotline.Abstractions;
using Microsoft.AspNetCore.DataProtection;

namespace Hotline.Silo.Privacy;

/// <summary>
/// Phone numbers at rest: encrypted with ASP.NET Core Data Protection (keys in <c>{DataPath}/keys</c>, files 0600, or
/// <c>Hotline:Privacy:KeysPath</c>, shared by every silo in cluster mode); worker ids of callers are an HMAC-SHA256 of
/// the E.164 number under a server secret (<c>Hotline:Privacy:PhoneHashKey</c>, else derived from the JWT signing key
/// with HKDF), so an id does not give the number away even to someone who tries every number.
/// </summary>
public sealed class PhoneNumberProtector(IDataProtectionProvider provider, byte[] hashKey) : IPhoneNumberProtector
{
    private readonly IDataProtector _protector = provider.CreateProtector("Hotline.PhoneNumber.v1");

    public string WorkerIdFor(string normalizedNumber) => "w-tel-" + KeyedHash("tel:" + normalizedNumber);

    public string KeyedHash(string value) => Convert.ToHexStringLower(HMACSHA256.HashData(hashKey, Encoding.UTF8.GetBytes(value)))[..32];

    public string Protect(string normalizedNumber) => _protector.Protect(normalizedNumber);

    public string? Unprotect(string? protectedNumber)
    {
        if (string.IsNullOrEmpty(protectedNumber)) return null;
        try
        {
            return _protector.Unprotect(protectedNumber);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>The HMAC key: configured (at least 32 bytes), else derived from the JWT signing key.</summary>
    public static byte[] HashKey(string? configured, byte[] jwtKey)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var bytes = Encoding.UTF8.GetBytes(configured);
            if (bytes.Length < 32) throw new InvalidOperationException("Hotline:Privacy:PhoneHashKey must be at least 32 bytes");
            return bytes;
        }
        return HKDF.DeriveKey(HashAlgorithmName.SHA256, jwtKey, 32, info: Encoding.UTF8.GetBytes("hotline12351 phone worker id"));
    }
}
