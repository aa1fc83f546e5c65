using System.Globalization;
using Hotline.Fuzz;
using Hotline.Testing;

// Usage:
//   dotnet run -c Release --project tools/Hotline.Fuzz -- --spawn-silo --inputs 100000 --seed 12351
//   dotnet run -c Release --project tools/Hotline.Fuzz -- --url http://127.0.0.1:5000 --admin-password ... --gateway-key ...
// Exit code 0: no finding; 1: findings (printed with the inputs that caused them); 2: bad usage.
var settings = new Dictionary<string, string>();
for (var i = 0; i < args.Length; i++)
{
    if (!args[i].StartsWith("--", StringComparison.Ordinal)) { Console.Error.WriteLine($"unexpected argument {args[i]}"); return 2; }
    var key = args[i][2..];
    settings[key] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
}
string Get(string key, string fallback) => settings.GetValueOrDefault(key, fallback);
var options = new FuzzOptions(
    Seed: int.Parse(Get("seed", "12351"), CultureInfo.InvariantCulture),
    Inputs: long.Parse(Get("inputs", "100000"), CultureInfo.InvariantCulture),
    Duration: TimeSpan.FromSeconds(double.Parse(Get("seconds", "3600"), CultureInfo.InvariantCulture)),
    Workers: int.Parse(Get("workers", "4"), CultureInfo.InvariantCulture),
    RestPercent: int.Parse(Get("rest-percent", "60"), CultureInfo.InvariantCulture));

SiloProcess? silo = null;
string? data = null;
FuzzTarget target;
if (settings.ContainsKey("spawn-silo"))
{
    data = Directory.CreateTempSubdirectory("hotline-fuzz-").FullName;
    silo = await SiloProcess.StartAsync(data, FuzzSilo.Settings);
    target = new FuzzTarget(silo.Url, SiloProcess.AdminPassword, SiloProcess.GatewayKey, () => !silo.Process.HasExited);
    Console.WriteLine($"silo {silo.Url} (pid {silo.Pid}), data {data}");
}
else if (settings.TryGetValue("url", out var url))
{
    target = new FuzzTarget(new Uri(url), Get("admin-password", "admin12351"), Get("gateway-key", "dev-gateway-key-12351"), () => true);
}
else
{
    Console.Error.WriteLine("give --spawn-silo or --url <base url> [--admin-password P --gateway-key K]; options --inputs N --seconds S --seed N --workers N");
    return 2;
}

try
{
    Console.WriteLine($"fuzzing {target.Url} seed {options.Seed}, up to {options.Inputs} inputs / {options.Duration.TotalSeconds:0} s, {options.Workers} workers");
    var report = await Fuzzer.Run(target, options, Console.WriteLine);
    Console.WriteLine(report.Summary());
    if (silo is not null && report.FindingCount > 0) Console.WriteLine("--- silo output (tail):\n" + silo.Tail(60));
    return report.FindingCount == 0 ? 0 : 1;
}
finally
{
    if (silo is not null) await silo.DisposeAsync();
    if (data is not null) try { Directory.Delete(data, recursive: true); } catch (IOException) { }
}
