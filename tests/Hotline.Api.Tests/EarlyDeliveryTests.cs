using Hotline.Grains;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Hotline.Api.Tests;

/// <summary>
/// Early delivery (<c>Hotline:Messages:EarlyDelivery</c>, on by default) over real SignalR connections: the other
/// participant gets a message while its durable write runs, the sender's ack still waits for the write, and a write
/// that fails is withdrawn (<c>MessageWithdrawn</c>). Faults are injected into the host's real SQLite message store by
/// <see cref="FailingMessageStore"/>.
/// </summary>
[Collection(MainCollection.Name)]
public sealed class EarlyDeliveryTests(HotlineHost host)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <summary>Message / MessageWithdrawn events of one consultation as they arrived on a connection: (event, seq, clientMessageId).</summary>
    private static List<(string Event, long Seq, string ClientMessageId)> Timeline(HotlineConnection hub, string consultationId) =>
        hub.RawEvents.Items
            .Where(e => e.Method is "Message" or "MessageWithdrawn" && e.Payload.GetProperty("consultationId").GetString() == consultationId)
            .Select(e => (e.Method, e.Payload.GetProperty("seq").GetInt64(), e.Payload.GetProperty("clientMessageId").GetString()!))
            .ToList();

    [Fact]
    public async Task A_failed_write_is_pushed_then_withdrawn_the_sender_gets_an_error_and_the_retry_is_stored_at_that_seq()
    {
        await using var kit = new TestKit(host) { RecordRawEvents = true };
        var (lawyer, worker, c) = await kit.ActiveCase();
        Assert.Equal(1, (await worker.Hub.SendMessage(c.Id, "before", "early-1")).Seq);

        host.StoreFaults.FailNextAppend(c.Id);
        var error = await Assert.ThrowsAsync<HubException>(() => worker.Hub.SendMessage(c.Id, "fails once", "early-2"));
        Assert.DoesNotContain("duplicate", error.Message, StringComparison.OrdinalIgnoreCase);
        foreach (var side in new[] { lawyer.Hub, worker.Hub })
            await side.Withdrawals.WaitAsync(w => w.ConsultationId == c.Id && w.Seq == 2 && w.ClientMessageId == "early-2", Wait);
        // Pushed early, then withdrawn, in that order; no client keeps it.
        Assert.Equal([("Message", 1L, "early-1"), ("Message", 2L, "early-2"), ("MessageWithdrawn", 2L, "early-2")], Timeline(lawyer.Hub, c.Id));
        Assert.Equal([1L], lawyer.Hub.Transcript(c.Id).Select(m => m.Seq));
        Assert.Equal([1L], worker.Hub.Transcript(c.Id).Select(m => m.Seq));

        // The sender retries with the same clientMessageId: stored at the same seq, delivered again, once.
        var retry = await worker.Hub.SendMessage(c.Id, "fails once", "early-2");
        Assert.Equal((2L, false), (retry.Seq, retry.Duplicate));
        await Hotline.Testing.Wait.Until(() => Timeline(lawyer.Hub, c.Id).Count == 4, Wait, () => string.Join(", ", Timeline(lawyer.Hub, c.Id)));
        Assert.Equal(("Message", 2L, "early-2"), Timeline(lawyer.Hub, c.Id)[3]);
        // The raw event is logged before the client files it in the transcript: wait for the transcript too.
        await Hotline.Testing.Wait.Until(() => lawyer.Hub.Transcript(c.Id).Count == 2, Wait, () => string.Join(", ", lawyer.Hub.Transcript(c.Id).Select(m => m.Seq)));
        Assert.Equal(["before", "fails once"], lawyer.Hub.Transcript(c.Id).Select(m => m.Text));
        var stored = await lawyer.Hub.JoinConsultation(c.Id, 0);
        Assert.Equal([(1L, "early-1"), (2L, "early-2")], stored.Missed.Select(m => (m.Seq, m.ClientMessageId)));
        Assert.Equal(2, stored.Consultation.LastSeq);
    }

    [Fact]
    public async Task The_recipient_gets_the_message_while_the_write_is_held_and_every_acked_message_arrives_once_gap_free()
    {
        await using var kit = new TestKit(host) { RecordRawEvents = true };
        var (lawyer, worker, c) = await kit.ActiveCase();

        // The write waits at a gate: the lawyer already has the message, the worker's ack has not come.
        var release = host.StoreFaults.HoldNextAppend(c.Id);
        var send = worker.Hub.SendMessage(c.Id, "while the commit runs", "held-1");
        await host.StoreFaults.Held(c.Id).WaitAsync(Wait);
        var early = await lawyer.Hub.Messages.WaitAsync(m => m.ConsultationId == c.Id && m.Seq == 1, Wait);
        Assert.Equal(("held-1", "while the commit runs"), (early.ClientMessageId, early.Text));
        Assert.False(send.IsCompleted, "the ack must wait for the durable write");
        release();
        var ack = await send.WaitAsync(Wait);
        Assert.Equal(1, ack.Seq);
        Assert.Equal(early.SentAt, ack.SentAt);

        // Happy path under load from both sides: every acked message reaches both participants exactly once, seq has no
        // gaps, and nothing is withdrawn.
        const int each = 15; // within the per-connection burst limit
        var acks = await Task.WhenAll(Enumerable.Range(0, each).SelectMany(i => new[]
        {
            worker.Hub.SendMessage(c.Id, $"w{i}"),
            lawyer.Hub.SendMessage(c.Id, $"l{i}"),
        }));
        var last = 1 + 2 * each;
        Assert.Equal(Enumerable.Range(2, 2 * each).Select(i => (long)i), acks.Select(a => a.Seq).Order());
        foreach (var side in new[] { lawyer.Hub, worker.Hub })
        {
            await side.MessagePushes.WaitAsync(m => m.ConsultationId == c.Id && m.Seq == last, Wait);
            Assert.Equal(Enumerable.Range(1, last).Select(i => (long)i), side.MessagePushes.Items.Where(m => m.ConsultationId == c.Id).Select(m => m.Seq));
            Assert.DoesNotContain(side.Withdrawals.Items, w => w.ConsultationId == c.Id);
        }
    }

    [Fact]
    public async Task With_early_delivery_off_a_failed_write_pushes_nothing()
    {
        // The setting is read per message: this test turns it off on the shared host's options and back on.
        var options = host.Services.GetRequiredService<IOptions<MessageOptions>>().Value;
        Assert.True(options.EarlyDelivery, "early delivery is the default");
        await using var kit = new TestKit(host) { RecordRawEvents = true };
        var (lawyer, worker, c) = await kit.ActiveCase();
        options.EarlyDelivery = false;
        try
        {
            host.StoreFaults.FailNextAppend(c.Id);
            await Assert.ThrowsAsync<HubException>(() => worker.Hub.SendMessage(c.Id, "fails once", "late-1"));
            Assert.Equal(1, (await worker.Hub.SendMessage(c.Id, "fails once", "late-1")).Seq);
        }
        finally
        {
            options.EarlyDelivery = true;
        }
        // Pushes of a consultation keep their order: had the failed attempt been pushed, it would have come first.
        await lawyer.Hub.MessagePushes.WaitAsync(m => m.ConsultationId == c.Id && m.Seq == 1, Wait);
        Assert.Equal([("Message", 1L, "late-1")], Timeline(lawyer.Hub, c.Id));
    }

    [Fact]
    public async Task With_early_delivery_off_a_stored_write_the_store_could_not_confirm_is_pushed_by_the_recheck()
    {
        // The append committed, then it and the look-up by clientMessageId failed: nothing had been pushed, the sender got
        // the error, and without any further send the grain's recheck finds the message stored and pushes it.
        var options = host.Services.GetRequiredService<IOptions<MessageOptions>>().Value;
        await using var kit = new TestKit(host) { RecordRawEvents = true };
        var (lawyer, worker, c) = await kit.ActiveCase();
        options.EarlyDelivery = false;
        try
        {
            host.StoreFaults.FailNextAppend(c.Id, AppendFault.FailAfterCommitAndLookup);
            await Assert.ThrowsAsync<HubException>(() => worker.Hub.SendMessage(c.Id, "stored after all", "late-2"));
            await lawyer.Hub.MessagePushes.WaitAsync(m => m.ConsultationId == c.Id && m.Seq == 1, Wait);
        }
        finally
        {
            options.EarlyDelivery = true;
        }
        Assert.Equal([("Message", 1L, "late-2")], Timeline(lawyer.Hub, c.Id));
        var retry = await worker.Hub.SendMessage(c.Id, "stored after all", "late-2");
        Assert.Equal((1L, true), (retry.Seq, retry.Duplicate));
    }
}
