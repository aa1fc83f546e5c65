using Hotline.Client;
using Polly;
using Polly.Retry;

namespace Hotline.Ivr;

/// <summary>Command-line options of the simulator.</summary>
public sealed record IvrOptions(Uri Url, string Key, string Caller, string Category, string Dialect, TimeSpan Poll, int MaxPolls,
    int CallbackAfterPolls, bool AcceptCallback)
{
    public static IvrOptions? Parse(string[] args)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) return null;
            if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) map[args[i]] = args[++i];
            else flags.Add(args[i]);
        }
        if (!map.TryGetValue("--url", out var url) || !map.TryGetValue("--key", out var key) || !map.TryGetValue("--caller", out var caller))
            return null;
        int Int(string name, int fallback) => map.TryGetValue(name, out var v) && int.TryParse(v, out var n) ? n : fallback;
        return new IvrOptions(new Uri(url), key, caller, map.GetValueOrDefault("--category", "other"), map.GetValueOrDefault("--dialect", "mandarin"),
            TimeSpan.FromSeconds(Math.Max(0.1, double.TryParse(map.GetValueOrDefault("--poll-seconds"), out var p) ? p : 5)),
            Int("--max-polls", 60), Int("--callback-after", 6), !flags.Contains("--no-callback"));
    }
}

/// <summary>How the simulated call ended.</summary>
public enum IvrOutcome { Bridged, CallbackQueued, Abandoned, Ended, Failed }

/// <summary>
/// One call on the line, as an IVR handles it: take the call (intake), announce the position and the wait from polling
/// (or, with nobody eligible online, that the call is kept and no estimate), offer a callback, bridge to the lawyer who
/// takes it, or hang up. Every line it "says" is written as <c>IVR: ...</c>, every gateway action as an upper-case verb.
/// </summary>
public sealed class IvrCall(HotlineRest rest, IvrOptions options, TextWriter output)
{
    /// <summary>
    /// Polls and hangups are repeated through a platform's brief refusals (429 rate limit, 503 while its backplane is
    /// down) and network errors: a lost hangup leaves a queued call that no caller is on, a failed poll is no reason to
    /// drop one who is.
    /// </summary>
    private ResiliencePipeline Transient => _transient ??= new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            // A request that timed out (HttpClient's timeout: a TaskCanceledException over a TimeoutException) is repeated
            // too; a cancellation of the call itself (the caller hung up) is not.
            ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>().Handle<HotlineApiException>(e => e.Status is 429 or 503)
                .Handle<TaskCanceledException>(e => e.InnerException is TimeoutException),
            MaxRetryAttempts = 8,
            Delay = TimeSpan.FromMilliseconds(250),
            BackoffType = DelayBackoffType.Exponential,
            MaxDelay = TimeSpan.FromSeconds(5),
            UseJitter = true,
            OnRetry = args => { output.WriteLine($"RETRY {args.Outcome.Exception?.GetType().Name} attempt={args.AttemptNumber + 1}"); return default; },
        })
        .Build();
    private ResiliencePipeline? _transient;

    public async Task<IvrOutcome> RunAsync(CancellationToken cancellationToken)
    {
        Consultation call;
        try
        {
            call = await rest.PhoneCall(options.Key, options.Caller, options.Category, options.Dialect);
        }
        catch (HotlineApiException e)
        {
            output.WriteLine($"FAILED intake {e.Status} {e.Code}");
            return IvrOutcome.Failed;
        }
        output.WriteLine($"CALL {call.Id}");
        Say("您好，这里是12351职工服务热线。Welcome to the 12351 worker hotline.");
        for (var poll = 1; poll <= options.MaxPolls; poll++)
        {
            PhoneCallStatus status;
            try
            {
                status = await Transient.ExecuteAsync(async ct => await rest.GetCall(options.Key, call.Id, ct), cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return await HangUp(call.Id, callback: false);
            }
            switch (status.Status)
            {
                case "active":
                    Say($"正在为您接通律师 {status.AssignedLawyerName}。Connecting you to {status.AssignedLawyerName}.");
                    output.WriteLine($"BRIDGE lawyer={status.AssignedLawyerId}");
                    return IvrOutcome.Bridged;
                case "closed" or "abandoned":
                    output.WriteLine($"ENDED status={status.Status}");
                    return IvrOutcome.Ended;
            }
            if (status.LawyersOnline == 0)
            {
                // Honest at 3 a.m.: nobody to take the call, so no estimate; the number is kept for a call back.
                Say("现在没有值班律师在线。您的来电已登记，律师上班后会给您回电。No lawyer is on duty now; your call is kept and a lawyer will call you back.");
                output.WriteLine($"ANNOUNCE position={status.QueuePosition} estimate=none lawyersOnline=0");
                return await OfferCallback(call.Id);
            }
            var minutes = status.EstimatedWaitSeconds is { } s ? Math.Max(1, (int)Math.Ceiling(s / 60.0)) : (int?)null;
            Say(minutes is { } m
                ? $"您前面还有 {status.QueuePosition - 1} 位，预计等待约 {m} 分钟。You are number {status.QueuePosition}, about {m} minute(s)."
                : $"您排在第 {status.QueuePosition} 位。You are number {status.QueuePosition}.");
            output.WriteLine($"ANNOUNCE position={status.QueuePosition} estimate={status.EstimatedWaitSeconds?.ToString() ?? "none"} lawyersOnline={status.LawyersOnline}");
            if (poll == options.CallbackAfterPolls) return await OfferCallback(call.Id);
            try
            {
                await Task.Delay(options.Poll, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return await HangUp(call.Id, callback: false);
            }
        }
        Say("感谢您的耐心。Thank you for holding.");
        return await HangUp(call.Id, callback: false);
    }

    private async Task<IvrOutcome> OfferCallback(string id)
    {
        Say("如需律师回电，请按1。Press 1 to be called back.");
        output.WriteLine(options.AcceptCallback ? "DTMF 1" : "DTMF none");
        if (options.AcceptCallback) Say("已为您登记回电，请挂机。You will be called back. Goodbye.");
        return await HangUp(id, options.AcceptCallback);
    }

    private async Task<IvrOutcome> HangUp(string id, bool callback)
    {
        var view = await Transient.ExecuteAsync(async _ => await rest.Hangup(options.Key, id, callback));
        output.WriteLine($"HANGUP status={view.Status} callback={(view.Callback ? "yes" : "no")}");
        return view.Status == "abandoned" ? IvrOutcome.Abandoned : callback ? IvrOutcome.CallbackQueued : IvrOutcome.Ended;
    }

    private void Say(string text) => output.WriteLine("IVR: " + text);
}
