namespace Hotline.Tools.Tests;

/// <summary>
/// The latency scenario's stage report (<c>--stages</c>): the spawned silo and relay log each message's stages
/// (MessageStageLog), and the load generator joins every delivered message with them.
/// </summary>
public sealed class LoadGenStagesTests
{
    [Fact]
    public async Task Every_delivered_message_is_joined_with_the_silo_and_relay_stage_logs()
    {
        var outDir = Directory.CreateTempSubdirectory("loadgen-stages-").FullName;
        try
        {
            var (exitCode, log) = await ToolProcess.RunAsync(LoadGenSmokeTests.LoadGenDll(), ["--scenario", "latency", "--spawn-silo", "--pairs", "2", "--msg-rate", "10",
                "--duration", "2", "--warmup", "1", "--stages", "--no-live", "--out", outDir, "--name", "stages"], TimeSpan.FromSeconds(120));
            Assert.True(exitCode == 0, "exit code " + exitCode + "\n" + log);

            using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "stages.json")));
            var root = doc.RootElement;
            Assert.Equal(0, root.GetProperty("lostMessages").GetInt64());
            var figures = root.GetProperty("figures");
            var stages = root.GetProperty("stageLatencies");
            foreach (var (label, delivery) in new[] { ("platform", "worker -> lawyer (SendMessage -> Message)"), ("relay", "relay Send -> Message") })
            {
                var delivered = (label == "platform" ? root.GetProperty("latencies") : root.GetProperty("baselineLatencies")).GetProperty(delivery).GetProperty("count").GetInt64();
                Assert.True(delivered > 0, label + ": nothing delivered\n" + log);
                Assert.Equal(delivered, figures.GetProperty($"{label} stages: messages joined with the server's log").GetDouble());
                Assert.Equal(0, figures.GetProperty($"{label} stages: recorded messages missing from it").GetDouble());
                Assert.Equal(delivered, stages.GetProperty($"{label}: client send -> hub method").GetProperty("count").GetInt64());
                Assert.Equal(delivered, stages.GetProperty($"{label}: push handed -> written").GetProperty("count").GetInt64());
                Assert.Equal(delivered, stages.GetProperty($"{label}: push written -> client receipt").GetProperty("count").GetInt64());
            }
            // Stages only the platform has: its grain, and the receiving client's own handler.
            Assert.True(stages.GetProperty("platform: hub method -> grain turn").GetProperty("count").GetInt64() > 0);
            Assert.True(stages.GetProperty("platform:   of which client handler -> filed (receipt)").GetProperty("count").GetInt64() > 0);
            Assert.Contains("| stage of a delivered message (ms) |", await File.ReadAllTextAsync(Path.Combine(outDir, "stages.md")));
            // Each server's own collections in its measured window, read from the silo's admin diagnostics and the
            // relay's /api/runtime: both servers allocate while they carry messages.
            foreach (var server in new[] { "platform: silo", "relay: server" })
            {
                Assert.True(figures.GetProperty($"{server} allocated MB").GetDouble() > 0, server + "\n" + log);
                Assert.True(figures.GetProperty($"{server} GC pause total ms").GetDouble() >= 0, server);
                Assert.True(figures.GetProperty($"{server} GCs (all generations)").GetDouble() >= 0, server);
                // And their JIT in the window: present for both, never negative (a short run still tiers up).
                Assert.True(figures.GetProperty($"{server} methods JIT-compiled").GetDouble() >= 0, server);
                Assert.True(figures.GetProperty($"{server} JIT time ms").GetDouble() >= 0, server);
            }
            // The load generator's no-GC region through each window: reported for both sides.
            Assert.True(figures.EnumerateObject().Count(f => f.Name.EndsWith("load generator no-GC region held (1 yes, 0 no, -1 not started)", StringComparison.Ordinal)) >= 2, log);
        }
        finally
        {
            try { Directory.Delete(outDir, recursive: true); } catch (IOException) { }
        }
    }
}
