using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Hotline.Silo.Security;

/// <summary>Issues HS256 JWTs. The key comes from <c>Hotline:Jwt:SigningKey</c>, else from a key file in the data folder.</summary>
public sealed class TokenService(SymmetricSecurityKey key, TimeProvider time)
{
    public const string Issuer = "hotline12351";
    /// <summary>Claim carrying the owner's token version (revocation).</summary>
    public const string VersionClaim = "tv";
    public SymmetricSecurityKey Key { get; } = key;

    /// <summary>A token for <paramref name="subject"/>; <paramref name="tokenVersion"/> is checked on every use (Api/TokenRevocation).</summary>
    public string Issue(string subject, string role, string name, TimeSpan lifetime, int tokenVersion = 0)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Issuer,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            Subject = new ClaimsIdentity([new Claim(Roles.SubjectClaim, subject), new Claim(Roles.RoleClaim, role), new Claim(Roles.NameClaim, name),
                new Claim(VersionClaim, tokenVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), ClaimValueTypes.Integer32)]),
            SigningCredentials = new SigningCredentials(Key, SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>The configured key, or one kept in <paramref name="dataPath"/> so tokens survive a restart on a laptop.</summary>
    public static SymmetricSecurityKey LoadKey(string? configured, string dataPath, bool clusterMode)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var bytes = Encoding.UTF8.GetBytes(configured);
            if (bytes.Length < 32) throw new InvalidOperationException("Hotline:Jwt:SigningKey must be at least 32 bytes");
            return new SymmetricSecurityKey(bytes);
        }
        if (clusterMode) throw new InvalidOperationException("Cluster mode needs Hotline:Jwt:SigningKey, the same on every silo");
        Directory.CreateDirectory(dataPath);
        var file = Path.Combine(dataPath, "jwt-signing.key");
        PrivateFiles.CreateIfMissing(file, () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(64)));
        return new SymmetricSecurityKey(Convert.FromBase64String(File.ReadAllText(file).Trim()));
    }
}
