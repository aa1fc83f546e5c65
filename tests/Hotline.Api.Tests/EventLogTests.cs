namespace Hotline.Api.Tests;

/// <summary>
/// A connection's event logs keep only their newest items by default (a long-lived client must not hold every event it
/// ever received), and a bounded log still serves its waiters.
/// </summary>
public sealed class EventLogTests
{
    [Fact]
    public async Task A_bounded_log_keeps_the_newest_items_and_still_wakes_waiters()
    {
        var log = new EventLog<int> { Capacity = 100 };
        var waiting = log.WaitAsync(i => i == 900, TimeSpan.FromSeconds(30));
        var early = log.WaitAsync(i => i == 5, TimeSpan.FromSeconds(30));
        for (var i = 1; i <= 1000; i++) log.Add(i);
        Assert.Equal(900, await waiting);
        // A waiter is woken by its item even when the item is dropped from the log later.
        Assert.Equal(5, await early);
        var kept = log.Items;
        Assert.Equal(Enumerable.Range(901, 100), kept);
        Assert.Equal(100, log.Count);
        // An item already dropped is no longer found; a kept one is.
        Assert.Equal(990, await log.WaitAsync(i => i == 990, TimeSpan.FromSeconds(30)));
        await Assert.ThrowsAsync<TimeoutException>(() => log.WaitAsync(i => i == 10, TimeSpan.FromMilliseconds(50)));

        // Lowering the bound drops the oldest at once; null keeps everything.
        log.Capacity = 10;
        Assert.Equal(Enumerable.Range(991, 10), log.Items);
        var unbounded = new EventLog<int> { Capacity = null };
        for (var i = 1; i <= 5000; i++) unbounded.Add(i);
        Assert.Equal(5000, unbounded.Count);
    }

    [Fact]
    public async Task Added_handlers_and_waiters_see_every_item_past_the_bound()
    {
        var log = new EventLog<int> { Capacity = 3 };
        var seen = new List<int>();
        log.Added += seen.Add;
        var waiters = Enumerable.Range(1, 50).Select(n => log.WaitAsync(i => i == n, TimeSpan.FromSeconds(30))).ToList();
        for (var i = 1; i <= 50; i++) log.Add(i);
        Assert.Equal(Enumerable.Range(1, 50), await Task.WhenAll(waiters));
        Assert.Equal(Enumerable.Range(1, 50), seen);
        Assert.Equal([48, 49, 50], log.Items);
    }

    [Fact]
    public void A_connection_keeps_bounded_event_logs_by_default_and_no_raw_events()
    {
        var connection = HotlineConnection.Worker(new Uri("http://127.0.0.1:1"), "token");
        Assert.Equal(HotlineConnection.DefaultRawEventCapacity, connection.RawEvents.Capacity);
        Assert.False(connection.RecordRawEvents);
        Assert.All([connection.Messages.Capacity, connection.MessagePushes.Capacity, connection.Withdrawals.Capacity, connection.Offers.Capacity,
            connection.Assignments.Capacity, connection.QueueUpdates.Capacity, connection.StatusChanges.Capacity, connection.Typings.Capacity,
            connection.Metrics.Capacity, connection.LawyerStatuses.Capacity, connection.DecodeErrors.Capacity, connection.Reconnections.Capacity],
            c => Assert.Equal(EventLog<int>.DefaultCapacity, c));
    }
}
