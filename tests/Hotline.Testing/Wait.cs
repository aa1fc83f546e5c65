namespace Hotline.Testing;

/// <summary>Waiting for a condition by polling, with a generous limit and a message that says what was last seen.
/// (Events pushed to a client are awaited with <c>EventLog.WaitAsync</c> of Hotline.Client instead.)</summary>
public static class Wait
{
    /// <summary>Polls <paramref name="condition"/> every <paramref name="poll"/> (100 ms) until it holds; throws
    /// <see cref="TimeoutException"/> with <paramref name="describe"/> after <paramref name="limit"/>.</summary>
    public static Task Until(Func<bool> condition, TimeSpan limit, Func<string>? describe = null, TimeSpan? poll = null) =>
        Until(() => Task.FromResult(condition()), limit, describe, poll);

    /// <summary>Async form of <see cref="Until(Func{bool}, TimeSpan, Func{string}?, TimeSpan?)"/>; an exception of the
    /// condition counts as "not yet" (the last one is reported on timeout).</summary>
    public static async Task Until(Func<Task<bool>> condition, TimeSpan limit, Func<string>? describe = null, TimeSpan? poll = null)
    {
        var until = DateTime.UtcNow + limit;
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await condition()) return;
                last = null;
            }
            catch (Exception e) when (e is not OutOfMemoryException) { last = e; }
            if (DateTime.UtcNow >= until)
                throw new TimeoutException($"not within {limit.TotalSeconds:0} s: {describe?.Invoke() ?? "condition"}" + (last is null ? "" : $" (last error: {last.Message})"), last);
            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(100));
        }
    }

    /// <summary>Polls <paramref name="probe"/> until it returns a value that is not null; that value.</summary>
    public static async Task<T> For<T>(Func<Task<T?>> probe, TimeSpan limit, Func<string>? describe = null, TimeSpan? poll = null) where T : class
    {
        T? found = null;
        await Until(async () => (found = await probe()) is not null, limit, describe, poll);
        return found!;
    }
}
