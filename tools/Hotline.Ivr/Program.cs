using Hotline.Client;
using Hotline.Ivr;

// Usage: Hotline.Ivr --url http://localhost:5000 --key <gateway key> --caller 13800000000 --category unpaid_wages
//        --dialect mandarin [--poll-seconds 5] [--max-polls 60] [--callback-after 6] [--no-callback]
var options = IvrOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine("usage: Hotline.Ivr --url <base url> --key <gateway key> --caller <number> --category <id> --dialect <id> " +
        "[--poll-seconds 5] [--max-polls 60] [--callback-after 6] [--no-callback]");
    return 2;
}
using var http = new HttpClient { BaseAddress = options.Url, Timeout = TimeSpan.FromSeconds(30) };
using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
var outcome = await new IvrCall(new HotlineRest(http), options, Console.Out).RunAsync(cts.Token);
return outcome == IvrOutcome.Failed ? 1 : 0;
