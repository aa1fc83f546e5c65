namespace Hotline.Tools.Tests;

/// <summary>Keeps the load generator from rotting: a tiny mixed run against a spawned silo must finish cleanly with every message delivered once.</summary>
public sealed class LoadGenSmokeTests
{
    internal static string LoadGenDll() => Infra.ToolDll("Hotline.LoadGen");

    [Fact]
    public async Task Tiny_mixed_run_against_a_spawned_silo_loses_and_duplicates_nothing()
    {
        var outDir = Directory.CreateTempSubdirectory("loadgen-smoke-").FullName;
        try
        {
            var (exitCode, log) = await ToolProcess.RunAsync(LoadGenDll(), ["--scenario", "mixed", "--spawn-silo", "--duration", "4", "--rate", "3", "--lawyers", "3", "--capacity", "3",
                         "--categories", "unpaid_wages,dismissal", "--dialects", "mandarin,minnan", "--accept-delay-ms", "50", "--handle-mean", "1",
                         "--chat-rate", "4", "--no-live", "--out", outDir, "--name", "smoke"], TimeSpan.FromSeconds(55));
            Assert.True(exitCode == 0, "exit code " + exitCode + "\n" + log);

            using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "smoke.json")));
            var root = doc.RootElement;
            Assert.Equal(0, root.GetProperty("lostMessages").GetInt64());
            Assert.Equal(0, root.GetProperty("duplicateMessages").GetInt64());
            Assert.Equal(0, root.GetProperty("seqGaps").GetInt64());
            Assert.Equal(0, root.GetProperty("errors").GetInt64());
            var f = root.GetProperty("figures");
            var created = f.GetProperty("consultations created").GetDouble();
            Assert.InRange(created, 3, 40); // ~12 expected at 3/s for 4 s
            Assert.Equal(created, f.GetProperty("offers received").GetDouble());
            Assert.Equal(0, f.GetProperty("offers repeated").GetDouble()); // each offer shown once
            Assert.Equal(created, f.GetProperty("accepted").GetDouble());
            var acked = f.GetProperty("messages acked").GetDouble();
            Assert.True(acked > 0, "no messages were sent\n" + log);
            Assert.Equal(acked, f.GetProperty("messages delivered").GetDouble());
            Assert.True(root.GetProperty("latencies").GetProperty("message worker -> lawyer").GetProperty("count").GetInt64() > 0);
            Assert.True(File.Exists(Path.Combine(outDir, "smoke.md")));
        }
        finally
        {
            try { Directory.Delete(outDir, recursive: true); } catch (IOException) { }
        }
    }
}
