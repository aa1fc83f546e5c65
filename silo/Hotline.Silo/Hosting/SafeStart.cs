using System.Text;
using Hotline.Silo.Api;

namespace Hotline.Silo.Hosting;

/// <summary>
/// Outside Development the host refuses to start while a secret still has its published default (contract v2,
/// "Running safely"): one line per problem on standard error, exit code 1.
/// </summary>
public static class SafeStart
{
    public const string DefaultGatewayKey = "dev-gateway-key-12351";

    /// <summary>Every default secret still in use; empty in Development or when all are set.</summary>
    public static IReadOnlyList<string> Problems(IConfiguration configuration, IHostEnvironment environment)
    {
        if (environment.IsDevelopment()) return [];
        var seeds = SeedFiles.Load(configuration["Hotline:SeedsPath"]);
        var problems = new List<string>();
        var admin = configuration["Hotline:Admin:Password"];
        if (string.IsNullOrEmpty(admin) || admin == seeds.Admin.Password)
            problems.Add("Hotline:Admin:Password has its published default: set Hotline__Admin__Password to a secret");
        var gateway = configuration["Hotline:Gateway:ApiKey"];
        if (string.IsNullOrEmpty(gateway) || gateway == DefaultGatewayKey)
            problems.Add("Hotline:Gateway:ApiKey has its published default: set Hotline__Gateway__ApiKey to a secret");
        if (configuration.GetValue("Hotline:Seed:DemoLawyers", false))
        {
            var lawyer = configuration["Hotline:Seed:LawyerPassword"];
            if (string.IsNullOrEmpty(lawyer) || seeds.Lawyers.Any(l => l.Password == lawyer))
                problems.Add("Hotline:Seed:LawyerPassword has its published default while Hotline:Seed:DemoLawyers=true: set Hotline__Seed__LawyerPassword to a secret");
        }
        var jwt = configuration["Hotline:Jwt:SigningKey"];
        if (!string.IsNullOrEmpty(jwt) && Encoding.UTF8.GetByteCount(jwt) < 32)
            problems.Add("Hotline:Jwt:SigningKey is shorter than 32 bytes: set Hotline__Jwt__SigningKey to a random secret of at least 32 bytes");
        return problems;
    }

    /// <summary>Prints the problems and returns true when the host must not start.</summary>
    public static bool Refuse(WebApplicationBuilder builder)
    {
        var problems = HotlineSettings.From(builder.Configuration).Problems().Concat(Problems(builder.Configuration, builder.Environment))
            .Concat(Security.WebPushKeys.Problems(builder.Configuration)).ToList();
        foreach (var p in problems) Console.Error.WriteLine($"Refusing to start ({builder.Environment.EnvironmentName}): {p}");
        return problems.Count > 0;
    }
}
