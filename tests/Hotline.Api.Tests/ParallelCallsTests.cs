namespace Hotline.Api.Tests;

/// <summary>
/// Calls of one hub connection run side by side (<c>Hotline:Hubs:ParallelInvocationsPerClient</c>): a lawyer's other
/// calls do not wait for one message's durable write (SignalR's default of one call at a time made them), and calls still
/// reach the grains in the order they were sent. The write is held by the host's <see cref="FailingMessageStore"/>.
/// </summary>
[Collection(MainCollection.Name)]
public sealed class ParallelCallsTests(HotlineHost host)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_held_message_write_does_not_hold_the_connection_s_other_calls_and_sends_keep_their_order()
    {
        await using var kit = new TestKit(host);
        var (lawyer, worker, c) = await kit.ActiveCase();

        var release = host.StoreFaults.HoldNextAppend(c.Id);
        var held = lawyer.Hub.SendMessage(c.Id, "while the commit runs", "held-1");
        try
        {
            await host.StoreFaults.Held(c.Id).WaitAsync(Wait);
            // One call at a time per connection, this would wait for the release (and time out).
            var me = await lawyer.Hub.Invoke<Lawyer>("GetMe", []).WaitAsync(Wait);
            Assert.Equal(lawyer.Id, me.Id);
            Assert.False(held.IsCompleted, "the ack must wait for the durable write");
        }
        finally
        {
            release();
        }
        Assert.Equal(1, (await held.WaitAsync(Wait)).Seq);

        // Sent without waiting for each other's acks, from one connection: stored in the order sent.
        var ids = Enumerable.Range(1, 12).Select(i => $"ordered-{i}").ToArray();
        var acks = new List<Task<MessageAck>>();
        foreach (var id in ids) acks.Add(worker.Hub.SendMessage(c.Id, "in order " + id, id));
        var seqs = (await Task.WhenAll(acks)).Select(a => a.Seq).ToList();
        Assert.Equal(Enumerable.Range(2, ids.Length).Select(i => (long)i), seqs);
    }
}
