using Hotline.Fuzz;
using Xunit.Abstractions;

namespace Hotline.Tools.Tests;

/// <summary>
/// The fuzzer (tools/Hotline.Fuzz), bounded: 30 s of seeded hostile input at every REST endpoint and hub method of a
/// real silo process. No 5xx, every refusal coded, the process alive and ready throughout, and the state the fuzzer
/// watches changed only by what was accepted. The long run (100k+ inputs) is in BENCHMARKS.md.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output) : ScratchTest("hotline-fuzz-")
{
    [Fact]
    public async Task Thirty_seconds_of_hostile_input_break_no_oracle()
    {
        var silo = Track(await SiloProcess.StartAsync(Folder, FuzzSilo.Settings));
        // Regression: a record of an unknown message type no longer holds up a call that arrives in the same read.
        var worker = await new Hotline.Client.HotlineRest(new HttpClient { BaseAddress = silo.Url }).CreateWorker("raw");
        var (hub, answer) = await RawHub.Connect(silo.Url, "/hubs/worker", worker.Token, null, CancellationToken.None);
        await using (hub)
        {
            Assert.Equal("{}", answer);
            var frame = "{\"type\":99}" + RawHub.Separator + "{\"type\":1,\"invocationId\":\"a\",\"target\":\"GetMyConsultations\",\"arguments\":[]}" + RawHub.Separator;
            var (completion, closed) = await hub.Invoke("a", System.Text.Encoding.UTF8.GetBytes(frame), TimeSpan.FromSeconds(30), CancellationToken.None);
            Assert.True(completion is not null, $"the call after an unknown record was not answered ({closed})");
            Assert.False(completion!.Value.TryGetProperty("error", out _));
        }

        var target = new FuzzTarget(silo.Url, SiloProcess.AdminPassword, SiloProcess.GatewayKey, () => !silo.Process.HasExited);
        // HEAD included: a HEAD of a GET that fails answered 500 until the exception handler allowed its own 404s.
        var report = await Fuzzer.Run(target, new FuzzOptions(Seed: 12351, Inputs: 50_000, Duration: TimeSpan.FromSeconds(30), Workers: 2),
            output.WriteLine);
        output.WriteLine(report.Summary());
        Assert.True(report.Inputs >= 200, $"only {report.Inputs} inputs in 30 s");
        Assert.True(report.Counts.ContainsKey("state:checked"), "the final state check did not run:\n" + report.Summary());
        Assert.True(report.FindingCount == 0, report.Summary() + "\n--- silo:\n" + silo.Tail(60));
    }
}
