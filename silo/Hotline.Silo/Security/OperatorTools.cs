namespace Hotline.Silo.Security;

/// <summary>
/// What a host exposes beyond the product: operator tools and demo accounts. On in Development (the demo), elsewhere
/// only when an operator turns them on, since they show internals or carry published logins.
/// </summary>
public static class OperatorTools
{
    /// <summary>The dashboard shows live logs and grain internals: Development, or <c>Hotline:Ops:Dashboard=true</c>.</summary>
    public static bool DashboardEnabled(IConfiguration configuration, IHostEnvironment environment)
        => configuration.GetValue("Hotline:Ops:Dashboard", environment.IsDevelopment());

    /// <summary>OpenAPI and Scalar: Development, or <c>Hotline:Ops:ApiDocs=true</c>.</summary>
    public static bool ApiDocsEnabled(IConfiguration configuration, IHostEnvironment environment)
        => configuration.GetValue("Hotline:Ops:ApiDocs", environment.IsDevelopment());

    /// <summary>Demo lawyers are seeded in Development (the demo), elsewhere only with <c>Hotline:Seed:DemoLawyers=true</c>.</summary>
    public static bool DemoLawyersSeeded(IConfiguration configuration, IHostEnvironment environment)
        => configuration.GetValue("Hotline:Seed:DemoLawyers", environment.IsDevelopment());
}
