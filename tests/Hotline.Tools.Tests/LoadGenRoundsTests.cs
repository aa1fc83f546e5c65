namespace Hotline.Tools.Tests;

/// <summary>
/// <c>--rounds N</c>: the latency and capacity scenarios keep both the silo and the relay connected and alternate their
/// measured windows; each side's figures pool its windows, and each round's own figures are reported beside them.
/// </summary>
public sealed class LoadGenRoundsTests
{
    [Fact]
    public async Task Latency_rounds_pool_each_sides_alternated_windows()
    {
        // A 16 s warm-up: the relay's clients wait through the platform's warm-up and first window, longer than the relay's
        // 15 s ping interval and the client's default 10 s ServerTimeout, so they must be built to outlast an idle side.
        var (root, log) = await Run("latency", ["--pairs", "2", "--msg-rate", "10", "--duration", "2", "--warmup", "16"]);
        var figures = root.GetProperty("figures");
        Assert.Equal(2, figures.GetProperty("rounds (alternated windows per side)").GetDouble());
        foreach (var (side, pooled) in new[] { ("platform", root.GetProperty("latencies").GetProperty("worker -> lawyer (SendMessage -> Message)")),
                     ("relay", root.GetProperty("baselineLatencies").GetProperty("relay Send -> Message")) })
        {
            var perRound = Enumerable.Range(1, 2).Select(k => figures.GetProperty($"round {k}: {side} messages delivered").GetDouble()).ToList();
            Assert.All(perRound, n => Assert.True(n > 0, $"{side}: a round delivered nothing\n{log}"));
            // The pooled distribution is exactly the rounds' windows: no warm-up message, none counted twice.
            Assert.Equal(perRound.Sum(), pooled.GetProperty("count").GetInt64());
        }
        // Each window reports its own server's GC figures.
        foreach (var k in new[] { 1, 2 })
        {
            Assert.True(figures.GetProperty($"platform: silo (round {k}) allocated MB").GetDouble() > 0, log);
            Assert.True(figures.GetProperty($"relay: server (round {k}) allocated MB").GetDouble() > 0, log);
            Assert.True(figures.GetProperty($"round {k}: delivery p99 ratio").GetDouble() > 0, log);
            Assert.Equal(0, figures.GetProperty($"platform (round {k}): sends failed in the window").GetDouble());
            Assert.Equal(0, figures.GetProperty($"relay (round {k}): sends failed in the window").GetDouble());
        }
        Assert.True(figures.GetProperty("rounds: median of the rounds' delivery p99 ratios").GetDouble() > 0);
    }

    [Fact]
    public async Task Capacity_rounds_pool_messages_and_cpu_over_the_windows()
    {
        var (root, log) = await Run("capacity", ["--workers", "12", "--lawyers", "4", "--capacity", "3", "--senders", "6", "--duration", "2", "--warmup", "1",
            "--connect-parallelism", "8"]);
        var figures = root.GetProperty("figures");
        Assert.Equal(2, figures.GetProperty("rounds (alternated closed-loop windows per side)").GetDouble());
        foreach (var side in new[] { "platform", "relay" })
        {
            var rates = Enumerable.Range(1, 2).Select(k => figures.GetProperty($"round {k}: {side} messages/s").GetDouble()).ToList();
            Assert.All(rates, x => Assert.True(x > 0, $"{side}: a round delivered nothing\n{log}"));
            // Pooled messages/s lies between the windows' own (each window is about as long as the other).
            var pooled = figures.GetProperty($"{side}: messages/s delivered").GetDouble();
            Assert.InRange(pooled, rates.Min() * 0.99, rates.Max() * 1.01);
        }
        Assert.True(root.GetProperty("ratios").GetProperty("server CPU per message (platform / relay)").GetDouble() > 0, log);
        Assert.Equal(0, figures.GetProperty("platform: send failed").GetDouble());
    }

    private static async Task<(JsonElement Root, string Log)> Run(string scenario, string[] options)
    {
        var outDir = Directory.CreateTempSubdirectory("loadgen-rounds-").FullName;
        try
        {
            var (exitCode, log) = await ToolProcess.RunAsync(LoadGenSmokeTests.LoadGenDll(),
                ["--scenario", scenario, "--spawn-silo", "--rounds", "2", .. options, "--no-live", "--out", outDir, "--name", "rounds"], TimeSpan.FromSeconds(180));
            Assert.True(exitCode == 0, "exit code " + exitCode + "\n" + log);
            using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "rounds.json")));
            var root = doc.RootElement.Clone();
            Assert.Equal(0, root.GetProperty("lostMessages").GetInt64());
            Assert.Equal(0, root.GetProperty("duplicateMessages").GetInt64());
            Assert.Equal(0, root.GetProperty("seqGaps").GetInt64());
            return (root, log);
        }
        finally
        {
            try { Directory.Delete(outDir, recursive: true); } catch (IOException) { }
        }
    }
}
