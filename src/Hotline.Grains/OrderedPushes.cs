using Microsoft.Extensions.Logging;

namespace Hotline.Grains;

/// <summary>
/// The client pushes of one grain activation, sent one after another in the order they were queued. A caller may
/// return without waiting for its push (a message is acknowledged once it is durable; its pushes follow) and the
/// participants still see a consultation's events in order, because each push starts only after the one before it
/// completed. Used only from the activation's own scheduler, so the tail needs no lock.
/// </summary>
internal sealed class OrderedPushes(ILogger logger)
{
    private Task _tail = Task.CompletedTask;

    /// <summary>Queues <paramref name="push"/> after every earlier one; the task completes when it was sent (never faults).</summary>
    public Task Enqueue(Func<Task> push)
    {
        var previous = _tail;
        // Nothing in flight (the common case): start at once, no extra state machine.
        return _tail = previous.IsCompleted ? Run(push) : After(previous, push);
    }

    private async Task After(Task previous, Func<Task> push)
    {
        await previous;
        await Run(push);
    }

    /// <summary>
    /// Sends one push outside any ordering and never throws: a committed change is not undone by a client it could not
    /// reach (clients read the state when they come back), and a backplane failure must not cross silos as an error.
    /// </summary>
    public static async Task BestEffort(Func<Task> push, ILogger logger)
    {
        try
        {
            await push();
        }
        catch (Exception e)
        {
            logger.LogDebug(e, "Client push failed");
        }
    }

    // A push is best effort (clients catch up through JoinConsultation); it must not fault the chain.
    private Task Run(Func<Task> push) => BestEffort(push, logger);
}
