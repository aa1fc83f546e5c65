using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Hotline.Silo.Security;

/// <summary>Options of the gateway's API-key scheme.</summary>
public sealed class GatewayApiKeyOptions : AuthenticationSchemeOptions
{
    public string ApiKey { get; set; } = "";
}

/// <summary>Authenticates the telephony gateway by its <c>X-Api-Key</c> header as role <c>gateway</c>.</summary>
public sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<GatewayApiKeyOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<GatewayApiKeyOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(Roles.ApiKeyHeader, out var given) || string.IsNullOrEmpty(given))
            return Task.FromResult(AuthenticateResult.NoResult());
        var ok = Options.ApiKey.Length > 0 && CryptographicOperations.FixedTimeEquals(
            Encoding.UTF8.GetBytes(given.ToString()), Encoding.UTF8.GetBytes(Options.ApiKey));
        if (!ok) return Task.FromResult(AuthenticateResult.Fail("invalid API key"));
        var identity = new ClaimsIdentity([new Claim(Roles.SubjectClaim, "gateway"), new Claim(Roles.RoleClaim, Roles.Gateway), new Claim(Roles.NameClaim, "12351 gateway")],
            Scheme.Name, Roles.NameClaim, Roles.RoleClaim);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }
}
