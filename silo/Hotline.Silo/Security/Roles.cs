namespace Hotline.Silo.Security;

/// <summary>The contract's roles and claim names.</summary>
public static class Roles
{
    public const string Worker = "worker";
    public const string Lawyer = "lawyer";
    public const string Admin = "admin";
    public const string Gateway = "gateway";
    public const string RoleClaim = "role";
    public const string NameClaim = "name";
    public const string SubjectClaim = "sub";
    public const string ApiKeyScheme = "ApiKey";
    public const string ApiKeyHeader = "X-Api-Key";
}
