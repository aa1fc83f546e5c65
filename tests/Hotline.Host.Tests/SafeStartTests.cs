using System.Net;
using System.Net.Http.Json;

namespace Hotline.Host.Tests;

/// <summary>Issue 10: the built host outside Development refuses published default secrets, and starts with real ones.</summary>
public sealed class SafeStartTests
{
    [Fact]
    public async Task Outside_Development_the_host_names_every_default_secret_and_exits_non_zero()
    {
        var data = Directory.CreateTempSubdirectory("hotline-safestart-").FullName;
        try
        {
            var (code, output) = await SiloProcess.RunToExitAsync(new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["Hotline__DataPath"] = data,
                ["Hotline__Seed__DemoLawyers"] = "true",
                ["Hotline__Jwt__SigningKey"] = "too-short-key",
            }, TimeSpan.FromSeconds(60));
            Assert.NotEqual(0, code);
            var lines = output.Split('\n');
            foreach (var setting in new[] { "Hotline:Admin:Password", "Hotline:Gateway:ApiKey", "Hotline:Seed:LawyerPassword", "Hotline:Jwt:SigningKey" })
                Assert.Single(lines, l => l.Contains("Refusing to start", StringComparison.Ordinal) && l.Contains(setting, StringComparison.Ordinal));
            // Nothing was started: no database was created.
            Assert.False(File.Exists(Path.Combine(data, "hotline.db")));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Theory]
    [InlineData("500")]
    [InlineData("100001")]
    [InlineData("lots")]
    public async Task A_WAL_checkpoint_size_outside_1000_to_100000_pages_is_refused_by_name(string pages)
    {
        var data = Directory.CreateTempSubdirectory("hotline-safestart-").FullName;
        try
        {
            var (code, output) = await SiloProcess.RunToExitAsync(new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Development",
                ["Hotline__DataPath"] = data,
                ["Hotline__Storage__SqliteAutoCheckpointPages"] = pages,
            }, TimeSpan.FromSeconds(60));
            Assert.Equal(1, code);
            Assert.Single(output.Split('\n'), l => l.Contains("Refusing to start", StringComparison.Ordinal)
                && l.Contains($"Hotline:Storage:SqliteAutoCheckpointPages is '{pages}'", StringComparison.Ordinal));
            Assert.False(File.Exists(Path.Combine(data, "hotline.db")));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task With_real_secrets_it_starts_and_creates_its_key_and_database_files_0600()
    {
        var data = Path.Combine(Path.GetTempPath(), "hotline-safestart-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await using (var silo = await SiloProcess.StartAsync(data))
            {
                using var http = new HttpClient { BaseAddress = silo.Url };
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/ready")).StatusCode);
                // A worker with a phone number: the number is encrypted, which creates the Data Protection key.
                var worker = await http.PostAsJsonAsync("/api/auth/worker", new { displayName = "w", phone = "13912345678" });
                Assert.Equal(HttpStatusCode.OK, worker.StatusCode);
                // Developer tools are off outside Development.
                Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/openapi/v1.json")).StatusCode);
                Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/dashboard")).StatusCode);
            }
            const UnixFileMode owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            Assert.Equal(owner, File.GetUnixFileMode(Path.Combine(data, "hotline.db")));
            Assert.Equal(owner, File.GetUnixFileMode(Path.Combine(data, "jwt-signing.key")));
            var keys = Directory.GetFiles(Path.Combine(data, "keys"), "*.xml");
            Assert.NotEmpty(keys);
            Assert.All(keys, k => Assert.Equal(owner, File.GetUnixFileMode(k)));
            // The phone number is in no file of the data folder.
            Assert.False(await DataFiles.Contain(data, "13912345678"), "the phone number is in a file of the data folder");
        }
        finally
        {
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }
}
