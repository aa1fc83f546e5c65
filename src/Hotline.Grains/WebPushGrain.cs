using Hotline.Abstractions;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace Hotline.Grains;

/// <summary>
/// Sends a worker's Web Pushes (<see cref="IWebPushGrain"/>): asks the worker grain where to push (nowhere while a page
/// of theirs is connected), sends through <see cref="IWebPushSender"/>, and forgets subscriptions the push service
/// reports gone. Stateless and reentrant, so slow push services hold up nothing but their own sends.
/// </summary>
[StatelessWorker, Reentrant]
public sealed class WebPushGrain(IWebPushSender sender, ILogger<WebPushGrain> logger) : Grain, IWebPushGrain
{
    public async Task NotifyWorker(string workerId, WorkerNotice notice)
    {
        if (!sender.Enabled) return;
        try
        {
            var worker = GrainFactory.GetGrain<IWorkerGrain>(workerId);
            var targets = await worker.GetPushTargets();
            if (targets.Count == 0) return;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var results = await Task.WhenAll(targets.Select(t => sender.Send(t, notice, timeout.Token)));
            for (var i = 0; i < targets.Count; i++)
                if (results[i] == WebPushResult.Gone) await worker.RemovePushSubscription(targets[i].Endpoint);
        }
        catch (Exception e)
        {
            // Best effort: the page shows everything when it is opened again.
            logger.LogDebug(e, "Web Push failed");
        }
    }
}
