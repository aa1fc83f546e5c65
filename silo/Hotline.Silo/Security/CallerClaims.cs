using System.Security.Claims;
using Hotline.Abstractions;
using Hotline.Domain;

namespace Hotline.Silo.Security;

/// <summary>Builds the grain-side <see cref="Caller"/> from an authenticated principal.</summary>
public static class CallerClaims
{
    public static string Id(this ClaimsPrincipal user) => user.FindFirstValue(Roles.SubjectClaim) ?? throw new HotlineException(HotlineException.Codes.Forbidden, "no subject");

    public static Caller ToCaller(this ClaimsPrincipal user)
    {
        var role = user.FindFirstValue(Roles.RoleClaim) switch
        {
            Roles.Worker => ParticipantRole.Worker,
            Roles.Lawyer => ParticipantRole.Lawyer,
            Roles.Admin => ParticipantRole.Admin,
            _ => ParticipantRole.System,
        };
        return new Caller(role, user.Id(), user.FindFirstValue(Roles.NameClaim) ?? "");
    }
}
