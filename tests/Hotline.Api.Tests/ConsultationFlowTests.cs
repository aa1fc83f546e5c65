namespace Hotline.Api.Tests;

/// <summary>Issue 3, tests 1-3: the full flow, reconnect and replay, duplicate clientMessageId.</summary>
[Collection(MainCollection.Name)]
public sealed class ConsultationFlowTests(HotlineHost host)
{
    private static readonly TimeSpan Wait = TestKit.Wait;

    [Fact]
    public async Task Full_flow_offer_accept_chat_typing_close_by_lawyer_then_rating_and_metrics()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var admin = await kit.AdminToken();
        var before = await kit.Rest.GetMetrics(admin);
        var lawyer = await kit.Lawyer([category], dialect, name: "律师 Flow");
        var worker = await kit.Worker("Wang");

        var opened = await kit.Open(worker, category, dialect, "Unpaid wages since March");
        Assert.Contains(opened.Status, new[] { "queued", "offered" });
        Assert.Equal("web", opened.Channel);
        Assert.Equal(worker.Id, opened.WorkerId);
        Assert.Equal(0, opened.LastSeq);

        var offer = await lawyer.Hub.Offers.WaitAsync(o => o.ConsultationId == opened.Id, Wait);
        Assert.Equal(category, offer.Category);
        Assert.Equal(dialect, offer.Dialect);
        Assert.Equal("web", offer.Channel);
        Assert.Equal("Unpaid wages since March", offer.Summary);
        Assert.InRange(offer.WaitedSeconds, 0, 10);
        Assert.True(offer.ExpiresAt > DateTimeOffset.UtcNow, $"expiresAt {offer.ExpiresAt:O} is not in the future");

        var accepted = await lawyer.Hub.AcceptOffer(opened.Id);
        Assert.Equal("active", accepted.Consultation.Status);
        Assert.Equal(lawyer.Id, accepted.Consultation.AssignedLawyerId);
        Assert.Empty(accepted.Missed);

        var assigned = await worker.Hub.Assignments.WaitAsync(a => a.ConsultationId == opened.Id, Wait);
        Assert.Equal(lawyer.Id, assigned.LawyerId);
        Assert.Equal("律师 Flow", assigned.LawyerName);
        await worker.Hub.StatusChanges.WaitAsync(s => s.ConsultationId == opened.Id && s.Status == "active", Wait);
        await lawyer.Hub.Assignments.WaitAsync(a => a.ConsultationId == opened.Id, Wait);

        // Chat both ways: each side gets the other's messages with seq 1, 2, 3... and no gaps.
        await worker.Hub.JoinConsultation(opened.Id);
        var sent = new List<(string Role, string Text, long Seq)>();
        for (var i = 0; i < 3; i++)
        {
            var w = await worker.Hub.SendMessage(opened.Id, $"worker says {i}");
            Assert.False(w.Duplicate);
            sent.Add(("worker", $"worker says {i}", w.Seq));
            var l = await lawyer.Hub.SendMessage(opened.Id, $"lawyer answers {i}");
            sent.Add(("lawyer", $"lawyer answers {i}", l.Seq));
        }
        Assert.Equal(Enumerable.Range(1, 6).Select(i => (long)i), sent.Select(s => s.Seq));
        await lawyer.Hub.Messages.WaitAsync(m => m.ConsultationId == opened.Id && m.Seq == 6, Wait);
        await worker.Hub.Messages.WaitAsync(m => m.ConsultationId == opened.Id && m.Seq == 6, Wait);
        foreach (var side in new[] { worker.Hub, lawyer.Hub })
        {
            var transcript = side.Transcript(opened.Id);
            Assert.Equal(sent.Select(s => s.Seq), transcript.Select(m => m.Seq));
            Assert.Equal(sent.Select(s => s.Text), transcript.Select(m => m.Text));
            Assert.Equal(sent.Select(s => s.Role), transcript.Select(m => m.SenderRole));
            // Each push arrived exactly once.
            Assert.Equal(6, side.MessagePushes.Items.Count(m => m.ConsultationId == opened.Id));
        }
        var lawyerMessage = worker.Hub.Transcript(opened.Id)[1];
        Assert.Equal(lawyer.Id, lawyerMessage.SenderId);
        Assert.Equal("律师 Flow", lawyerMessage.SenderName);
        var stored = await kit.Rest.GetMessages(worker.Token, opened.Id);
        Assert.Equal(sent.Select(s => s.Text), stored.Select(m => m.Text));
        var afterThree = await kit.Rest.GetMessages(lawyer.Token, opened.Id, afterSeq: 3, limit: 2);
        Assert.Equal([4L, 5L], afterThree.Select(m => m.Seq));

        // Typing reaches the other side only.
        await worker.Hub.Invoke("Typing", opened.Id);
        var typing = await lawyer.Hub.Typings.WaitAsync(t => t.ConsultationId == opened.Id, Wait);
        Assert.Equal("worker", typing.Role);
        await lawyer.Hub.Invoke("Typing", opened.Id);
        typing = await worker.Hub.Typings.WaitAsync(t => t.ConsultationId == opened.Id, Wait);
        Assert.Equal("lawyer", typing.Role);
        Assert.DoesNotContain(worker.Hub.Typings.Items, t => t.Role == "worker");

        // The lawyer closes; the worker sees it and then rates the closed consultation.
        var closed = await lawyer.Hub.Invoke<Consultation>("CloseConsultation", [opened.Id, "answered", "Advised to apply for labor arbitration"]);
        Assert.Equal("closed", closed.Status);
        Assert.Equal("answered", closed.Resolution);
        await worker.Hub.StatusChanges.WaitAsync(s => s.ConsultationId == opened.Id && s.Status == "closed", Wait);
        await lawyer.Hub.StatusChanges.WaitAsync(s => s.ConsultationId == opened.Id && s.Status == "closed", Wait);
        var rated = await worker.Hub.Invoke<Consultation>("CloseConsultation", [opened.Id, 5, "thanks"]);
        Assert.Equal(5, rated.Rating);
        Assert.Equal(5, (await kit.Rest.GetConsultation(worker.Token, opened.Id)).Rating);
        // Rating twice is a conflict and keeps the first rating.
        Assert.Equal("conflict", await TestKit.HubError(() => worker.Hub.Invoke<Consultation>("CloseConsultation", [opened.Id, 1, "changed my mind"])));
        Assert.Equal(5, (await kit.Rest.GetConsultation(worker.Token, opened.Id)).Rating);

        var after = await kit.Rest.GetMetrics(admin);
        var queue = after.Queues.Single(q => q.Category == category);
        var queueBefore = before.Queues.SingleOrDefault(q => q.Category == category);
        Assert.Equal((queueBefore?.Answered ?? 0) + 1, queue.Answered);
        TestKit.AssertClosedTodayGrewByOne(before, after);
        Assert.Equal(0, (await kit.RosterEntry(lawyer.Id)).ActiveCount);
    }

    [Fact]
    public async Task Optional_trailing_arguments_of_CloseConsultation_may_be_omitted()
    {
        await using var kit = new TestKit(host);
        var (lawyer, worker, c, category, dialect) = await kit.ActiveCase();
        // Lawyer: CloseConsultation(id, resolution) without summary.
        var closed = await lawyer.Hub.Invoke<Consultation>("CloseConsultation", [c.Id, "answered"]);
        Assert.Equal("closed", closed.Status);
        // Worker: CloseConsultation(id) on a waiting one abandons it, without rating or comment.
        var waiting = await kit.Open(worker, category, dialect);
        var abandoned = await worker.Hub.Invoke<Consultation>("CloseConsultation", [waiting.Id]);
        Assert.Equal("abandoned", abandoned.Status);
        // A required argument is still required.
        Assert.Equal("validation_failed", await TestKit.HubError(() => lawyer.Hub.Invoke<Consultation>("CloseConsultation", [c.Id])));
    }

    [Fact]
    public async Task Worker_closes_an_active_consultation_with_a_rating()
    {
        await using var kit = new TestKit(host);
        var (lawyer, worker, c) = await kit.ActiveCase();
        var admin = await kit.AdminToken();
        var before = await kit.Rest.GetMetrics(admin);

        var closed = await worker.Hub.Invoke<Consultation>("CloseConsultation", [c.Id, 4, "helpful"]);
        Assert.Equal("closed", closed.Status);
        Assert.Equal(4, closed.Rating);
        await lawyer.Hub.StatusChanges.WaitAsync(s => s.ConsultationId == c.Id && s.Status == "closed", Wait);
        var view = await kit.Rest.GetConsultation(lawyer.Token, c.Id);
        Assert.Equal("closed", view.Status);
        Assert.Equal(4, view.Rating);
        var after = await kit.Rest.GetMetrics(admin);
        TestKit.AssertClosedTodayGrewByOne(before, after);
        // The host is shared: an earlier test's lawyer, gone with its kit, may lose a chat to the queue at its grace
        // period meanwhile, so the global count is at most one less; this lawyer's own count is exact.
        Assert.True(after.Consultations.Active <= before.Consultations.Active - 1, $"active {before.Consultations.Active} -> {after.Consultations.Active}");
        Assert.Equal(0, (await kit.RosterEntry(lawyer.Id)).ActiveCount);
        // The lawyer can no longer close it.
        Assert.Equal("conflict", await TestKit.HubError(() => lawyer.Hub.Invoke<Consultation>("CloseConsultation", [c.Id, "answered", null])));
        Assert.Equal(0, (await kit.RosterEntry(lawyer.Id)).ActiveCount);
    }

    [Fact]
    public async Task Worker_who_leaves_the_queue_abandons()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var admin = await kit.AdminToken();
        var worker = await kit.Worker();
        var c = await kit.Open(worker, category, dialect);
        var closed = await worker.Hub.Invoke<Consultation>("CloseConsultation", [c.Id, null, null]);
        Assert.Equal("abandoned", closed.Status);
        var queue = (await kit.Rest.GetMetrics(admin)).Queues.Single(q => q.Category == category);
        Assert.True(queue.Abandoned >= 1);
        Assert.Equal("abandoned", (await kit.Rest.GetConsultation(worker.Token, c.Id)).Status);
        // Nobody online gets it later.
        var lawyer = await kit.Lawyer([category], dialect);
        var other = await kit.Open(await kit.Worker(), category, dialect);
        var offer = await lawyer.Hub.Offers.WaitAsync(null, Wait);
        Assert.Equal(other.Id, offer.ConsultationId);
    }

    [Fact]
    public async Task Worker_reconnects_and_join_replays_exactly_the_missed_messages()
    {
        await using var kit = new TestKit(host);
        var (lawyer, worker, c) = await kit.ActiveCase();
        await worker.Hub.JoinConsultation(c.Id);
        await worker.Hub.SendMessage(c.Id, "hello");
        await lawyer.Hub.SendMessage(c.Id, "hi, how can I help?");
        await worker.Hub.Messages.WaitAsync(m => m.ConsultationId == c.Id && m.Seq == 2, Wait);
        var lastSeen = worker.Hub.ContiguousSeq(c.Id);
        Assert.Equal(2, lastSeen);

        await worker.Hub.DisposeAsync(); // the worker is gone
        var missed = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var text = $"while you were away {i}";
            var ack = await lawyer.Hub.SendMessage(c.Id, text);
            Assert.Equal(3 + i, ack.Seq);
            missed.Add(text);
        }

        var again = await kit.Start(HotlineConnection.Worker(kit.BaseUrl, worker.Token));
        var joined = await again.JoinConsultation(c.Id, lastSeen);
        Assert.Equal([3L, 4L, 5L, 6L], joined.Missed.Select(m => m.Seq));
        Assert.Equal(missed, joined.Missed.Select(m => m.Text));
        Assert.All(joined.Missed, m => Assert.Equal("lawyer", m.SenderRole));
        Assert.Equal(6, joined.Consultation.LastSeq);
        Assert.Equal("active", joined.Consultation.Status);
        // Live again: the next message arrives as an event, and nothing was pushed twice.
        await lawyer.Hub.SendMessage(c.Id, "welcome back");
        var live = await again.Messages.WaitAsync(m => m.ConsultationId == c.Id && m.Seq == 7, Wait);
        Assert.Equal("welcome back", live.Text);
        Assert.Equal(Enumerable.Range(3, 5).Select(i => (long)i), again.Transcript(c.Id).Select(m => m.Seq));
        // afterSeq = 0 replays everything; afterSeq = lastSeq replays nothing.
        Assert.Equal(7, (await again.JoinConsultation(c.Id, 0)).Missed.Count);
        Assert.Empty((await again.JoinConsultation(c.Id, 7)).Missed);
    }

    [Fact]
    public async Task HotlineConnection_reconnects_by_itself_and_merges_missed_messages()
    {
        await using var kit = new TestKit(host);
        var (lawyer, worker, c) = await kit.ActiveCase();
        await worker.Hub.JoinConsultation(c.Id);
        await lawyer.Hub.SendMessage(c.Id, "one");
        await worker.Hub.Messages.WaitAsync(m => m.ConsultationId == c.Id && m.Seq == 1, Wait);

        // Lose the transport; while it is down the lawyer keeps writing (sent concurrently with the drop).
        var drop = worker.Hub.DropAndWaitReconnectAsync();
        var sends = Task.Run(async () =>
        {
            for (var i = 2; i <= 6; i++) await lawyer.Hub.SendMessage(c.Id, $"msg {i}");
        });
        await Task.WhenAll(drop, sends);
        Assert.True(worker.Hub.Reconnections.Count >= 1);
        await worker.Hub.Messages.WaitAsync(m => m.ConsultationId == c.Id && m.Seq == 6, Wait);
        var transcript = worker.Hub.Transcript(c.Id);
        Assert.Equal(Enumerable.Range(1, 6).Select(i => (long)i), transcript.Select(m => m.Seq));
        Assert.Equal(["one", "msg 2", "msg 3", "msg 4", "msg 5", "msg 6"], transcript.Select(m => m.Text));
        // Sending still works on the new transport.
        var ack = await worker.Hub.SendMessage(c.Id, "back");
        Assert.Equal(7, ack.Seq);
        await lawyer.Hub.Messages.WaitAsync(m => m.ConsultationId == c.Id && m.Seq == 7, Wait);
    }

    [Fact]
    public async Task Duplicate_clientMessageId_is_stored_once_and_answers_the_original_seq()
    {
        await using var kit = new TestKit(host);
        var (lawyer, worker, c) = await kit.ActiveCase();
        await worker.Hub.SendMessage(c.Id, "first");
        var id = Guid.NewGuid().ToString("N");
        var original = await worker.Hub.SendMessage(c.Id, "my question", id);
        Assert.False(original.Duplicate);
        Assert.Equal(2, original.Seq);
        await lawyer.Hub.Messages.WaitAsync(m => m.ConsultationId == c.Id && m.Seq == 2, Wait);

        var again = await worker.Hub.SendMessage(c.Id, "my question", id);
        Assert.True(again.Duplicate);
        Assert.Equal(original.Seq, again.Seq);
        Assert.Equal(original.SentAt, again.SentAt);
        // Even with a different text the id wins (the first copy is kept).
        var third = await worker.Hub.SendMessage(c.Id, "my question (edited)", id);
        Assert.True(third.Duplicate);
        Assert.Equal(2, third.Seq);

        var view = await kit.Rest.GetConsultation(worker.Token, c.Id);
        Assert.Equal(2, view.LastSeq);
        var messages = await kit.Rest.GetMessages(lawyer.Token, c.Id);
        Assert.Equal(["first", "my question"], messages.Select(m => m.Text));
        Assert.Single(messages, m => m.ClientMessageId == id);
        // The next message continues without a gap; the duplicate was never pushed again.
        Assert.Equal(3, (await worker.Hub.SendMessage(c.Id, "next")).Seq);
        await lawyer.Hub.Messages.WaitAsync(m => m.ConsultationId == c.Id && m.Seq == 3, Wait);
        Assert.Single(lawyer.Hub.MessagePushes.Items, m => m.ConsultationId == c.Id && m.Seq == 2);
    }
}
