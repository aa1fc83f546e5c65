namespace Hotline.Tools.Tests;

/// <summary>The soak scenario, bounded to one minute: steady load with lawyers coming and going, ten runtime samples,
/// nothing lost, no 5xx. The 30-minute run and its numbers are in BENCHMARKS.md.</summary>
public sealed class SoakTests
{
    [Fact]
    public async Task One_minute_soak_samples_the_silo_and_loses_nothing()
    {
        var outDir = Directory.CreateTempSubdirectory("loadgen-soak-").FullName;
        try
        {
            var (exitCode, log) = await ToolProcess.RunAsync(LoadGenSmokeTests.LoadGenDll(), ["--scenario", "soak", "--spawn-silo", "--duration", "70", "--sample-seconds", "6",
                         "--rate", "1", "--lawyers", "6", "--capacity", "3", "--handle-mean", "8", "--chat-rate", "1", "--churn-seconds", "10",
                         "--away-seconds", "2", "--no-live", "--out", outDir, "--name", "soak"], TimeSpan.FromMinutes(4));
            Assert.True(exitCode == 0, "exit code " + exitCode + "\n" + log);

            using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "soak.json")));
            var root = doc.RootElement;
            Assert.True(root.GetProperty("lostMessages").GetInt64() == 0, log);
            Assert.True(root.GetProperty("duplicateMessages").GetInt64() == 0, log);
            Assert.True(root.GetProperty("errors").GetInt64() == 0, log);
            var f = root.GetProperty("figures");
            Assert.Equal(0, f.GetProperty("5xx or internal_error").GetDouble());
            Assert.True(f.GetProperty("consultations closed").GetDouble() > 5, log);
            Assert.True(f.GetProperty("lawyer departures").GetDouble() >= 1, log);
            Assert.Equal(f.GetProperty("messages acked").GetDouble(), f.GetProperty("messages delivered").GetDouble());
            // Ten samples: the growth and p99 figures are computed (the one-minute run is too short to judge them).
            Assert.True(f.TryGetProperty("RSS growth sample 5 -> end (%)", out _), log);
            Assert.True(f.TryGetProperty("p99 last 5 / samples 5-10", out _), log);
        }
        finally
        {
            try { Directory.Delete(outDir, recursive: true); } catch (IOException) { }
        }
    }
}
