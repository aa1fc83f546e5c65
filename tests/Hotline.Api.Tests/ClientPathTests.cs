using Hotline.Silo.Hubs;
using Microsoft.AspNetCore.SignalR;

namespace Hotline.Api.Tests;

/// <summary>
/// The .NET client decodes each event once, straight into its shape: an event that does not fit its shape (a contract
/// mismatch) is recorded in <see cref="HotlineConnection.DecodeErrors"/>, never thrown and never lost silently, and the
/// connection carries on; the raw wire shape is recorded only on request (<see cref="HotlineConnection.RecordRawEvents"/>).
/// Both hub protocols. Events are sent to a real connection through the host's hub context.
/// </summary>
[Collection(MainCollection.Name)]
public sealed class ClientDecodeTests(HotlineHost host)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(HubProtocolKind.Json, false)]
    [InlineData(HubProtocolKind.Json, true)]
    [InlineData(HubProtocolKind.MessagePack, false)]
    [InlineData(HubProtocolKind.MessagePack, true)]
    public async Task A_malformed_event_lands_in_DecodeErrors_and_the_next_event_is_decoded(HubProtocolKind protocol, bool raw)
    {
        await using var kit = new TestKit(host);
        var worker = await kit.Worker(connect: false);
        worker.Hub.Protocol = protocol;
        worker.Hub.RecordRawEvents = raw;
        await kit.Start(worker.Hub);
        var clients = host.Services.GetRequiredService<IHubContext<WorkerHub>>().Clients.User(worker.Id);
        var consultation = "decode-" + Guid.NewGuid().ToString("N");

        // seq is not a number: the Message shape cannot hold it.
        await clients.SendAsync("Message", new Dictionary<string, object?>
        {
            ["consultationId"] = consultation, ["seq"] = "not a number", ["senderRole"] = "lawyer", ["senderId"] = "l-1",
            ["senderName"] = "L", ["text"] = "bad", ["sentAt"] = DateTimeOffset.UtcNow, ["clientMessageId"] = "bad-1",
        });
        await clients.SendAsync("Typing", new Dictionary<string, object?> { ["consultationId"] = consultation, ["role"] = "lawyer" });
        await clients.SendAsync("Message", new Dictionary<string, object?>
        {
            ["consultationId"] = consultation, ["seq"] = 1, ["senderRole"] = "lawyer", ["senderId"] = "l-1",
            ["senderName"] = "L", ["text"] = "good", ["sentAt"] = DateTimeOffset.UtcNow, ["clientMessageId"] = "good-1",
        });

        var error = await worker.Hub.DecodeErrors.WaitAsync(null, Wait);
        Assert.IsType<InvalidDataException>(error);
        Assert.StartsWith("Message: ", error.Message);
        // Later events of the same connection are decoded and filed as usual.
        Assert.Equal("lawyer", (await worker.Hub.Typings.WaitAsync(t => t.ConsultationId == consultation, Wait)).Role);
        var good = await worker.Hub.Messages.WaitAsync(m => m.ConsultationId == consultation, Wait);
        Assert.Equal((1L, "good", "good-1"), (good.Seq, good.Text, good.ClientMessageId));
        Assert.Equal([good], worker.Hub.MessagePushes.Items.Where(m => m.ConsultationId == consultation));
        Assert.Equal([good], worker.Hub.Transcript(consultation));
        Assert.Single(worker.Hub.DecodeErrors.Items);
        Assert.Equal(HubConnectionState.Connected, worker.Hub.State);

        var rawEvents = worker.Hub.RawEvents.Items.Where(e => e.Payload.TryGetProperty("consultationId", out var c) && c.GetString() == consultation).ToList();
        if (raw)
        {
            // As they arrived, the malformed one included, in the JSON shape whatever the protocol.
            Assert.Equal(["Message", "Typing", "Message"], rawEvents.Select(e => e.Method));
            Assert.Equal("not a number", rawEvents[0].Payload.GetProperty("seq").GetString());
            Assert.Equal(1, rawEvents[2].Payload.GetProperty("seq").GetInt64());
        }
        else Assert.Empty(worker.Hub.RawEvents.Items);
    }
}

/// <summary>
/// <see cref="HotlineConnection.SendMessage"/> sends straight on a live connection; a send whose connection drops while
/// it waits for the ack is retried with the same clientMessageId, so every message is stored once.
/// </summary>
[Collection(MainCollection.Name)]
public sealed class ClientSendTests(HotlineHost host)
{
    [Fact]
    public async Task A_send_cut_off_by_a_dropped_connection_is_retried_with_its_clientMessageId_and_stored_once()
    {
        await using var kit = new TestKit(host);
        var (lawyer, worker, c) = await kit.ActiveCase();
        Assert.Equal(1, (await worker.Hub.SendMessage(c.Id, "before")).Seq);

        // A second connection of the worker that only sends (it joined nothing, so its reconnect re-joins nothing and
        // does not queue behind the held write at the consultation). Its send goes out on the live connection (no timeout
        // of its own: the first attempt goes straight out), and its write is held at the store, so that it is surely in
        // flight when the transport drops under it.
        var sender = await kit.Start(HotlineConnection.Worker(kit.BaseUrl, worker.Token));
        var release = host.StoreFaults.HoldNextAppend(c.Id);
        var send = sender.SendMessage(c.Id, "cut off", "cut-off-1");
        await host.StoreFaults.Held(c.Id).WaitAsync(TimeSpan.FromSeconds(30));
        // Reconnected means the old connection, and with it the first attempt, has ended.
        await sender.DropAndWaitReconnectAsync(TimeSpan.FromSeconds(30));
        Assert.False(send.IsCompleted, "the send ended before its write was released");
        release();

        // The first attempt's answer was lost with the connection; the retry (same clientMessageId, after the reconnect)
        // finds the message stored by the first and is answered with its seq: a duplicate, stored once.
        var ack = await send.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal((2L, true), (ack.Seq, ack.Duplicate));
        Assert.Equal(3, (await worker.Hub.SendMessage(c.Id, "after")).Seq);
        await lawyer.Hub.Messages.WaitAsync(m => m.ConsultationId == c.Id && m.Seq == 3, TimeSpan.FromSeconds(30));
        var stored = await Transcripts.ReadAll(kit.Rest, worker.Token, c.Id);
        Assert.Equal([1L, 2, 3], stored.Select(m => m.Seq));
        Assert.Equal("cut-off-1", stored[1].ClientMessageId);
        Assert.Equal([1L, 2, 3], worker.Hub.Transcript(c.Id).Select(m => m.Seq));
    }
}

/// <summary>
/// A connection with a bounded transcript (<see cref="HotlineConnection.TranscriptCapacity"/>) keeps trimming after a join
/// whose answer could not be filed whole: a throwing <c>Messages.Added</c> handler must not leave the join's mark pending
/// (which stops all trimming of that consultation for the connection's life).
/// </summary>
[Collection(MainCollection.Name)]
public sealed class ClientTranscriptBoundTests(HotlineHost host)
{
    [Fact]
    public async Task A_bounded_transcript_keeps_trimming_after_a_join_whose_filing_threw()
    {
        await using var kit = new TestKit(host);
        var (_, worker, c) = await kit.ActiveCase();
        for (var i = 1; i <= 5; i++) await worker.Hub.SendMessage(c.Id, "before " + i);

        var reader = HotlineConnection.Worker(kit.BaseUrl, worker.Token);
        reader.TranscriptCapacity = 2;
        var thrown = 0;
        reader.Messages.Added += m =>
        {
            if (m.ConsultationId == c.Id && m.Seq == 5 && Interlocked.Exchange(ref thrown, 1) == 0) throw new InvalidOperationException("a handler failed");
        };
        await kit.Start(reader);
        await Assert.ThrowsAsync<InvalidOperationException>(() => reader.JoinConsultation(c.Id, 0));
        Assert.Equal(5, reader.ContiguousSeq(c.Id));

        for (var i = 6; i <= 25; i++) await worker.Hub.SendMessage(c.Id, "after " + i);
        await reader.Messages.WaitAsync(m => m.ConsultationId == c.Id && m.Seq == 25, TimeSpan.FromSeconds(30));
        // Trimmed to its bound (half again at most before a trim), every seq still counted.
        Assert.InRange(reader.Transcript(c.Id).Count, 2, 4);
        Assert.Equal(25, reader.ContiguousSeq(c.Id));
        Assert.Equal(0, reader.MissingSeqs(c.Id));
    }
}

/// <summary>One consultation's transcript as the client files it: in seq order whatever the arrival order, each seq once.</summary>
public sealed class ChatTranscriptTests
{
    private static ChatMessage M(long seq, string cmid, string sender = "w-1") => new("c", seq, "worker", sender, "W", "text " + cmid, DateTimeOffset.UnixEpoch, cmid);

    [Fact]
    public void Messages_are_filed_by_seq_once_each_and_contiguous_counts_the_gap_free_prefix()
    {
        var t = new ChatTranscript();
        Assert.Equal(0, t.Contiguous);
        Assert.True(t.Add(M(2, "b"), stored: false));
        Assert.Equal(0, t.Contiguous);
        Assert.True(t.Add(M(4, "d"), stored: false));
        Assert.True(t.Add(M(1, "a"), stored: false));
        Assert.Equal(2, t.Contiguous);
        Assert.False(t.Add(M(2, "b"), stored: true));       // the same message again
        Assert.True(t.Add(M(3, "c"), stored: false));
        Assert.Equal(4, t.Contiguous);
        Assert.Equal([1L, 2, 3, 4], t.Messages.Select(m => m.Seq));
        // Another message at a shown seq replaces it; a withdrawal removes only the one it names.
        Assert.True(t.Add(M(3, "c2"), stored: false));
        Assert.Equal("c2", t.Messages[2].ClientMessageId);
        Assert.False(t.Withdraw(3, "c"));
        Assert.True(t.Withdraw(3, "c2"));
        Assert.Equal([1L, 2, 4], t.Messages.Select(m => m.Seq));
        Assert.Equal(2, t.Contiguous);
        Assert.False(t.Withdraw(9, "x"));
        for (var seq = 5; seq <= 2000; seq++) t.Add(M(seq, "m" + seq), stored: false);
        Assert.Equal(2, t.Contiguous);
        t.Add(M(3, "c3"), stored: true);
        Assert.Equal(2000, t.Contiguous);
        Assert.Equal(Enumerable.Range(1, 2000).Select(i => (long)i), t.Messages.Select(m => m.Seq));
    }

    [Fact]
    public void A_join_drops_what_was_shown_above_its_last_seq_before_the_mark_and_rejoins_from_what_is_stored()
    {
        var t = new ChatTranscript();
        t.Add(M(1, "a"), stored: true);
        t.Add(M(2, "b"), stored: false);
        t.Add(M(3, "c"), stored: false);
        Assert.Equal(2, t.RejoinSeq); // the push of 3 confirms 2 only
        var mark = t.Mark();
        t.Add(M(4, "d"), stored: false); // after the mark: kept
        t.Joined(lastSeq: 1, mark);
        Assert.Equal([1L, 4], t.Messages.Select(m => m.Seq));
        Assert.Equal(1, t.Contiguous);
        t.Acked(4);
        Assert.Equal(1, t.RejoinSeq);
    }

    [Fact]
    public void A_bounded_transcript_keeps_the_newest_and_drops_only_stored_gap_free_messages()
    {
        var t = new ChatTranscript(capacity: 10);
        // A gap at the front: nothing may leave (the list's count of what was seen starts there).
        for (var seq = 2; seq <= 40; seq++) t.Add(M(seq, "m" + seq), stored: false);
        Assert.Equal(39, t.Messages.Count); // seq 1 is missing: nothing after the gap may leave
        Assert.Equal(0, t.Contiguous);
        Assert.Equal(1, t.Missing);
        // The gap fills: the oldest stored, gap-free ones leave once the list is half again past its bound.
        t.Add(M(1, "a"), stored: true);
        t.Add(M(41, "m41"), stored: false);
        Assert.Equal(Enumerable.Range(32, 10).Select(i => (long)i), t.Messages.Select(m => m.Seq));
        Assert.Equal(41, t.Contiguous);
        Assert.Equal(40, t.RejoinSeq); // 41 is pushed only: it stays re-readable
        Assert.Equal(0, t.Missing);
        // A replay of a dropped seq (a join's missed messages) is not new; the newest can still be withdrawn.
        Assert.False(t.Add(M(5, "m5"), stored: true));
        Assert.True(t.Withdraw(41, "m41"));
        Assert.Equal(40, t.Contiguous);
        // Many more: the list stays within one and a half times its bound, and a later gap is still counted.
        for (var seq = 41; seq <= 5000; seq++) t.Add(M(seq, "n" + seq), stored: seq % 2 == 0);
        Assert.InRange(t.Messages.Count, 10, 16);
        Assert.Equal(5000, t.Contiguous);
        t.Add(M(5003, "late"), stored: false);
        Assert.Equal(2, t.Missing);
        Assert.Equal(5000, t.Contiguous);
        // Unbounded again: nothing more leaves.
        t.Capacity = null;
        for (var seq = 5001; seq <= 5002; seq++) t.Add(M(seq, "n" + seq), stored: true);
        for (var seq = 5004; seq <= 5100; seq++) t.Add(M(seq, "n" + seq), stored: true);
        Assert.Equal(5100, t.Contiguous);
        Assert.True(t.Messages.Count >= 100);
    }

    [Fact]
    public void A_bounded_transcript_keeps_what_a_join_may_still_correct_and_reopens_seqs_the_store_never_held()
    {
        var t = new ChatTranscript(capacity: 0);
        t.Add(M(1, "a"), stored: true);
        t.Add(M(2, "b"), stored: false); // confirms 1 stored; 2 itself may still be withdrawn, so it stays
        Assert.Equal([2L], t.Messages.Select(m => m.Seq));
        Assert.True(t.Withdraw(2, "b"));
        t.Add(M(2, "b2"), stored: false);
        t.Add(M(3, "c"), stored: false); // confirms 2: it leaves
        Assert.Equal([3L], t.Messages.Select(m => m.Seq));
        // While a join is outstanding nothing leaves: its answer may still correct what is shown.
        var mark = t.Mark();
        t.Add(M(4, "d"), stored: false);
        Assert.Equal([3L, 4], t.Messages.Select(m => m.Seq));
        // The store holds only seq 1 (the withdrawals of 2 and 3 were missed): 3 is dropped, 4 arrived after the mark and
        // stays, and the dropped seq 2 is unseen again, so the store's message there is filed.
        t.Joined(lastSeq: 1, mark);
        Assert.Equal([4L], t.Messages.Select(m => m.Seq));
        Assert.Equal(1, t.Contiguous);
        Assert.Equal(1, t.RejoinSeq);
        Assert.Equal(2, t.Missing);
        Assert.True(t.Add(M(2, "b3"), stored: true));
        Assert.True(t.Add(M(3, "c3"), stored: true));
        Assert.Equal(4, t.Contiguous);
        // A join given up (its call failed) does not hold trimming for good.
        t.Mark();
        t.JoinAbandoned();
        t.Add(M(5, "e"), stored: false);
        Assert.Equal([5L], t.Messages.Select(m => m.Seq));
        Assert.Equal(5, t.Contiguous);
        Assert.Equal(0, t.Missing);
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Capacity = -1);
    }
}
