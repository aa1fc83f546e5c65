namespace Hotline.Tools.Tests;

/// <summary>SIGTERM or SIGINT on the load generator ends the silo it spawned too (nothing is left running).</summary>
public sealed class LoadGenSignalTests
{
    // SIGTERM only: a process started in the background by a non-interactive shell (as CI may start the suite)
    // inherits SIGINT as ignored, so a SIGINT case would test how the suite was launched, not the load generator.
    // Ctrl-C goes through the same shutdown path as SIGTERM in the load generator.
    [Theory]
    [InlineData("TERM")]
    public async Task Signal_ends_the_spawned_silo(string signal)
    {
        var outDir = Directory.CreateTempSubdirectory("loadgen-signal-").FullName;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { LoadGenSmokeTests.LoadGenDll(), "--scenario", "mixed", "--spawn-silo", "--duration", "300", "--rate", "1", "--lawyers", "2",
                     "--no-live", "--out", outDir, "--name", "signal" })
            psi.ArgumentList.Add(a);
        using var loadgen = Process.Start(psi)!;
        var stdout = loadgen.StandardOutput.ReadToEndAsync();
        var stderr = loadgen.StandardError.ReadToEndAsync();
        try
        {
            // The spawned silo is a child process running Hotline.Silo.dll; wait until it is serving.
            var silo = await WaitFor(() => Children(loadgen.Id).FirstOrDefault(p => CommandLine(p).Contains("Hotline.Silo.dll")), TimeSpan.FromSeconds(90));
            Assert.True(silo > 0, "the load generator did not spawn a silo");
            await WaitFor(() => File.Exists(Path.Combine(outDir, "silo.log")) && File.ReadAllText(Path.Combine(outDir, "silo.log")).Contains("Application started") ? 1 : 0, TimeSpan.FromSeconds(90));

            using (var kill = Process.Start("kill", [$"-{signal}", loadgen.Id.ToString()])) await kill.WaitForExitAsync();
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await loadgen.WaitForExitAsync(limit.Token);

            var gone = await WaitFor(() => Directory.Exists($"/proc/{silo}") ? 0 : 1, TimeSpan.FromSeconds(30));
            Assert.True(gone == 1, $"the spawned silo {silo} still runs after SIGTERM of the load generator\n{await stderr}");
            Assert.Contains("child process", await stderr);
        }
        finally
        {
            if (!loadgen.HasExited) loadgen.Kill(entireProcessTree: true);
            await stdout;
            try { Directory.Delete(outDir, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<int> WaitFor(Func<int> probe, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < limit)
        {
            var value = probe();
            if (value != 0) return value;
            await Task.Delay(200);
        }
        return 0;
    }

    /// <summary>Direct children of <paramref name="parent"/>, from /proc (field 4 of /proc/PID/stat is the parent pid).</summary>
    private static IEnumerable<int> Children(int parent)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string stat;
            try { stat = File.ReadAllText(Path.Combine(dir, "stat")); } catch (IOException) { continue; } catch (UnauthorizedAccessException) { continue; }
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (int.Parse(fields[1]) == parent) yield return pid;
        }
    }

    private static string CommandLine(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' '); } catch (IOException) { return ""; }
    }
}
