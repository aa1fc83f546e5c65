using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;

namespace Hotline.Silo.Security;

/// <summary>
/// The VAPID key pair (P-256) that signs Web Pushes, and the contact the push services see (<c>sub</c>). Embedded mode
/// keeps a pair generated on first start in the data folder (<c>vapid-keys.json</c>, 0600); cluster mode takes it from
/// <c>Hotline:Push:PublicKey</c> / <c>Hotline:Push:PrivateKey</c>, the same on every process, since browsers bind their
/// subscriptions to the public key. Cluster mode without keys has Web Push off.
/// </summary>
/// <param name="PublicKey">Uncompressed point, base64url (what <c>GET /api/push/key</c> serves).</param>
/// <param name="PrivateKey">The private scalar, base64url.</param>
/// <param name="Subject">A <c>mailto:</c> or <c>https:</c> contact for the push services.</param>
public sealed record WebPushKeys(string PublicKey, string PrivateKey, string Subject)
{
    public const string DefaultSubject = "mailto:push@12351.invalid";
    public const string FileName = "vapid-keys.json";

    /// <summary>The keys for this process, or null when Web Push is off (cluster mode without configured keys).</summary>
    public static WebPushKeys? Load(IConfiguration configuration, string dataPath, bool clusterMode)
    {
        var subject = configuration["Hotline:Push:Subject"] is { Length: > 0 } s ? s : DefaultSubject;
        var (pub, priv) = (configuration["Hotline:Push:PublicKey"], configuration["Hotline:Push:PrivateKey"]);
        if (!string.IsNullOrWhiteSpace(pub) && !string.IsNullOrWhiteSpace(priv)) return new WebPushKeys(pub.Trim(), priv.Trim(), subject);
        if (clusterMode) return null;
        var file = Path.Combine(dataPath, FileName);
        PrivateFiles.CreateIfMissing(file, () =>
        {
            var (p, d) = Generate();
            return JsonSerializer.Serialize(new Dictionary<string, string> { ["publicKey"] = p, ["privateKey"] = d });
        });
        var stored = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(file))
            ?? throw new InvalidDataException(file + " is empty");
        return new WebPushKeys(stored["publicKey"], stored["privateKey"], subject);
    }

    /// <summary>A new P-256 pair as (public point, private scalar), both base64url.</summary>
    public static (string PublicKey, string PrivateKey) Generate()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = ec.ExportParameters(includePrivateParameters: true);
        return (Base64Url.EncodeToString([0x04, .. p.Q.X!, .. p.Q.Y!]), Base64Url.EncodeToString(p.D!));
    }

    /// <summary>Problems with the configured keys, one line each (the host refuses to start on any).</summary>
    public static IEnumerable<string> Problems(IConfiguration configuration)
    {
        var (pub, priv) = (configuration["Hotline:Push:PublicKey"], configuration["Hotline:Push:PrivateKey"]);
        if (string.IsNullOrWhiteSpace(pub) != string.IsNullOrWhiteSpace(priv))
        {
            yield return "Hotline:Push:PublicKey and Hotline:Push:PrivateKey must be set together (a VAPID pair, base64url)";
            yield break;
        }
        if (!string.IsNullOrWhiteSpace(pub) && !IsPair(pub.Trim(), priv!.Trim()))
            yield return "Hotline:Push:PublicKey / Hotline:Push:PrivateKey are not a P-256 key pair in base64url";
        var subject = configuration["Hotline:Push:Subject"];
        if (!string.IsNullOrEmpty(subject) && !subject.StartsWith("mailto:", StringComparison.Ordinal) && !subject.StartsWith("https://", StringComparison.Ordinal))
            yield return "Hotline:Push:Subject must be a mailto: or https: contact";
    }

    private static bool IsPair(string publicKey, string privateKey)
    {
        try
        {
            var q = Base64Url.DecodeFromChars(publicKey);
            var d = Base64Url.DecodeFromChars(privateKey);
            if (q.Length != 65 || q[0] != 0x04 || d.Length != 32) return false;
            using var ec = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = q[1..33], Y = q[33..] }, D = d });
            // The public point must be the private scalar's: sign with one, verify with the other.
            var data = "vapid"u8.ToArray();
            using var check = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = q[1..33], Y = q[33..] } });
            return check.VerifyData(data, ec.SignData(data, HashAlgorithmName.SHA256), HashAlgorithmName.SHA256);
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            return false;
        }
    }
}
