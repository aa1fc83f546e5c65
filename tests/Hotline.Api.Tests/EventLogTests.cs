namespace Hotline.Api.Tests;

/// <summary>
/// A connection's event logs: <see cref="HotlineConnection.RawEvents"/> keeps only the newest events by default (a
/// long-lived client must not hold every event it ever received), and a bounded log still serves its waiters.
/// </summary>
public sealed class EventLogTests
{
    [Fact]
    public async Task A_bounded_log_keeps_the_newest_items_and_still_wakes_waiters()
    {
        var log = new EventLog<int> { Capacity = 100 };
        var waiting = log.WaitAsync(i => i == 900, TimeSpan.FromSeconds(30));
        for (var i = 1; i <= 1000; i++) log.Add(i);
        Assert.Equal(900, await waiting);
        var kept = log.Items;
        Assert.InRange(kept.Count, 100, 125);
        Assert.Equal(1000, kept[^1]);
        Assert.Equal(Enumerable.Range(1001 - kept.Count, kept.Count), kept);
        // An item already dropped is no longer found; a kept one is.
        Assert.Equal(990, await log.WaitAsync(i => i == 990, TimeSpan.FromSeconds(30)));

        var unbounded = new EventLog<int>();
        for (var i = 1; i <= 1000; i++) unbounded.Add(i);
        Assert.Equal(1000, unbounded.Count);
    }

    [Fact]
    public void A_connection_keeps_a_bounded_raw_event_log_by_default()
    {
        var connection = HotlineConnection.Worker(new Uri("http://127.0.0.1:1"), "token");
        Assert.Equal(HotlineConnection.DefaultRawEventCapacity, connection.RawEvents.Capacity);
        Assert.Null(connection.Messages.Capacity);
    }
}
