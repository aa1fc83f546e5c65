using System.Diagnostics;
using Hotline.LoadGen;

if (args.Length == 0 || args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(Options.Help);
    return args.Length == 0 ? 2 : 0;
}

Options options;
try { options = new Options(args); }
catch (ArgumentException e) { Console.Error.WriteLine(e.Message); return 2; }

var scenario = options.Str("scenario", "mixed").ToLowerInvariant();
var name = options.Str("name", $"{scenario}-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
var outDir = Path.GetFullPath(options.Str("out", "loadgen-results"));
var command = "dotnet run -c Release --project tools/Hotline.LoadGen -- " + string.Join(' ', args.Select(a => a.Contains(' ') ? $"\"{a}\"" : a));
var report = new RunReport { Scenario = scenario, Name = name, Command = command, Target = "", Options = new(options.Given) };
var run = new Run(options, report, outDir);
var watch = Stopwatch.StartNew();
int exit = 0;
try
{
    await run.View.Run(async () =>
    {
        switch (scenario)
        {
            case "mixed": await Scenarios.Mixed(run); break;
            case "latency": await Scenarios.MessageLatency(run); break;
            case "routing": await Scenarios.Routing(run); break;
            case "erlang": await Scenarios.Erlang(run); break;
            case "capacity": await Scenarios.Capacity(run); break;
            case "topology": await Scenarios.Topology(run); break;
            default: throw new ArgumentException($"unknown scenario '{scenario}' (mixed, latency, routing, erlang, capacity, topology)");
        }
        return 0;
    });
}
catch (Exception e)
{
    Console.Error.WriteLine("run failed: " + e);
    report.Notes.Add("run failed: " + e.GetType().Name + ": " + e.Message);
    report.Errors++;
    exit = 1;
}
finally
{
    await run.DisposeAsync();
}
report.ElapsedSeconds = watch.Elapsed.TotalSeconds;
report.Counters = run.Counters.Snapshot();
foreach (var unused in options.Unused) report.Notes.Add($"option --{unused} was given but not used by this scenario");
var (json, md) = report.Write(outDir);
Console.WriteLine(report.Markdown());
Console.WriteLine($"result: {json}\nsummary: {md}");
return exit;
