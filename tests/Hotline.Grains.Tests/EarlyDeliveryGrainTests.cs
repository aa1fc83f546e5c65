namespace Hotline.Grains.Tests;

/// <summary>
/// Early delivery (<c>Hotline:Messages:EarlyDelivery</c>, on by default): the consultation pushes a message while its
/// write runs and withdraws it when the write fails. The store's faults are injected by <see cref="FailingMessageStore"/>
/// around the real SQLite store.
/// </summary>
[Collection(nameof(ClusterCollection))]
public sealed class EarlyDeliveryGrainTests(ClusterFixture fixture)
{
    private static RecordingNotifier Pushes => ClusterFixture.Notifier;
    private static StoreFaults Faults => ClusterFixture.StoreFaults;
    private IGrainFactory Grains => fixture.Grains;

    private async Task<(IConsultationGrain Grain, string Id, string Lawyer, string Worker)> Active()
    {
        var category = "cat-" + Guid.NewGuid().ToString("N")[..8];
        var username = "t" + Guid.NewGuid().ToString("N")[..10];
        var lawyer = GrainKeys.LawyerId(username);
        await Grains.GetGrain<ILawyerGrain>(lawyer).Register(new LawyerProfile
        {
            Username = username, DisplayName = "律师 " + username, PasswordHash = "x", Skills = [category], Dialects = ["minnan"], Capacity = 2,
        }, overwrite: false);
        await Grains.GetGrain<ILawyerGrain>(lawyer).Connected("conn-" + username);
        var id = "c-" + Guid.NewGuid().ToString("N");
        var worker = "w-" + Guid.NewGuid().ToString("N");
        var grain = Grains.GetGrain<IConsultationGrain>(id);
        await grain.Open(new OpenConsultation { WorkerId = worker, Category = category, Dialect = "minnan", Summary = "拖欠工资" });
        await Pushes.WaitFor<OfferEvent>("lawyer", lawyer, nameof(ILawyerClient.Offer), o => o.ConsultationId == id);
        await grain.Accept(new Caller(ParticipantRole.Lawyer, lawyer, "律师"));
        return (grain, id, lawyer, worker);
    }

    /// <summary>The lawyer's Message and MessageWithdrawn pushes of one consultation, in the order they were sent.</summary>
    private static List<(string Method, long Seq, string ClientMessageId)> LawyerTimeline(string lawyer, string id) =>
        Pushes.All.Where(p => p.Audience == "lawyer" && p.Id == lawyer).Select(p => p.Payload switch
        {
            MessageView m when m.ConsultationId == id => (p.Method, m.Seq, m.ClientMessageId),
            MessageWithdrawnEvent w when w.ConsultationId == id => (p.Method, w.Seq, w.ClientMessageId),
            _ => ("", 0L, ""),
        }).Where(e => e.Item1 != "").ToList();

    [Fact]
    public async Task A_write_that_fails_before_storing_is_withdrawn_and_the_retry_takes_the_same_seq()
    {
        var (grain, id, lawyer, worker) = await Active();
        var me = new Caller(ParticipantRole.Worker, worker, "工人");
        Assert.Equal(1, (await grain.SendMessage(me, "m1", "first")).Seq);

        Faults.FailNextAppend(id);
        await Assert.ThrowsAnyAsync<Exception>(() => grain.SendMessage(me, "m2", "second"));
        await Pushes.WaitFor<MessageWithdrawnEvent>("lawyer", lawyer, nameof(IConsultationClient.MessageWithdrawn), w => w.ConsultationId == id);

        var retry = await grain.SendMessage(me, "m2", "second");
        Assert.Equal((2L, false), (retry.Seq, retry.Duplicate));
        await Hotline.Testing.Wait.Until(() => LawyerTimeline(lawyer, id).Count == 4, TimeSpan.FromSeconds(30), () => string.Join(", ", LawyerTimeline(lawyer, id)));
        Assert.Equal([("Message", 1L, "m1"), ("Message", 2L, "m2"), ("MessageWithdrawn", 2L, "m2"), ("Message", 2L, "m2")], LawyerTimeline(lawyer, id));
        Assert.Equal([1L, 2L], (await grain.GetMessages(me, 0, 100)).Select(m => m.Seq));
    }

    [Fact]
    public async Task A_write_that_stored_but_lost_its_answer_is_acked_and_never_withdrawn()
    {
        // The commit happened but its answer was lost: the grain asks the store by clientMessageId, finds the message at
        // its seq, and acks it; the early push stands (no withdrawal, no second push).
        var (grain, id, lawyer, worker) = await Active();
        var me = new Caller(ParticipantRole.Worker, worker, "工人");
        Faults.FailNextAppend(id, AppendFault.FailAfterCommit);
        var ack = await grain.SendMessage(me, "m1", "stored after all");
        Assert.Equal((1L, false), (ack.Seq, ack.Duplicate));

        Assert.Equal(2, (await grain.SendMessage(me, "m2", "next")).Seq);
        await Hotline.Testing.Wait.Until(() => LawyerTimeline(lawyer, id).Count == 2, TimeSpan.FromSeconds(30), () => string.Join(", ", LawyerTimeline(lawyer, id)));
        Assert.Equal([("Message", 1L, "m1"), ("Message", 2L, "m2")], LawyerTimeline(lawyer, id));
        var retry = await grain.SendMessage(me, "m1", "stored after all");
        Assert.Equal((1L, true), (retry.Seq, retry.Duplicate));
    }

    [Fact]
    public async Task A_stored_write_whose_store_then_went_away_is_withdrawn_and_pushed_again_without_another_send()
    {
        // The commit happened, then the append and the look-up both failed: the sender gets the error and the push is
        // withdrawn, and the grain re-reads the tail by itself until the store answers, pushing the stored message again
        // (the recipient does not wait for the sender's next message or a re-join).
        var (grain, id, lawyer, worker) = await Active();
        var me = new Caller(ParticipantRole.Worker, worker, "工人");
        Faults.FailNextAppend(id, AppendFault.FailAfterCommitAndLookup);
        await Assert.ThrowsAnyAsync<Exception>(() => grain.SendMessage(me, "m1", "stored after all"));

        await Hotline.Testing.Wait.Until(() => LawyerTimeline(lawyer, id).Count == 3, TimeSpan.FromSeconds(30), () => string.Join(", ", LawyerTimeline(lawyer, id)));
        Assert.Equal([("Message", 1L, "m1"), ("MessageWithdrawn", 1L, "m1"), ("Message", 1L, "m1")], LawyerTimeline(lawyer, id));
        var retry = await grain.SendMessage(me, "m1", "stored after all");
        Assert.Equal((1L, true), (retry.Seq, retry.Duplicate));
        Assert.Equal(2, (await grain.SendMessage(me, "m2", "next")).Seq);
    }
}
