namespace Hotline.Domain.Tests;

public sealed class ConsultationLifecycleTests
{
    private sealed class Record : IConsultationLifecycle
    {
        public ConsultationStatus Status { get; set; }
        public DateTimeOffset QueuedAt { get; set; }
        public string? OfferedTo { get; set; }
        public DateTimeOffset? OfferExpiresAt { get; set; }
        public string? AssignedLawyerId { get; set; }
        public string? AssignedLawyerName { get; set; }
        public DateTimeOffset? AcceptedAt { get; set; }
        public List<string> LawyersInvolved { get; } = [];
        public DateTimeOffset? ClosedAt { get; set; }
        public Resolution? Resolution { get; set; }
        public int? QueuePosition { get; set; }
        public int? EstimatedWaitSeconds { get; set; }
    }

    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 22, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Offer_decline_offer_accept_transfer_and_close_keep_the_age_and_every_lawyer_involved()
    {
        var c = new Record();
        ConsultationLifecycle.Open(c, T0);
        Assert.True(ConsultationLifecycle.Offer(c, "lw-a", T0.AddSeconds(20)));
        Assert.False(ConsultationLifecycle.WithdrawOffer(c, "lw-b")); // not b's offer
        Assert.True(ConsultationLifecycle.WithdrawOffer(c, "lw-a"));
        Assert.Equal((ConsultationStatus.Queued, (string?)null), (c.Status, c.OfferedTo));
        Assert.True(ConsultationLifecycle.Offer(c, "lw-b", T0.AddSeconds(40)));
        Assert.True(ConsultationLifecycle.Assign(c, "lw-b", "B", T0.AddSeconds(30)));
        Assert.False(ConsultationLifecycle.Assign(c, "lw-b", "B", T0.AddSeconds(31))); // repeated: no change
        Assert.False(ConsultationLifecycle.Offer(c, "lw-c", T0.AddSeconds(50)));      // active: a late offer does not apply
        Assert.True(ConsultationLifecycle.Requeue(c));                                  // transfer
        Assert.Equal((ConsultationStatus.Queued, (string?)null, T0), (c.Status, c.AssignedLawyerId, c.QueuedAt));
        Assert.True(ConsultationLifecycle.Assign(c, "lw-c", "C", T0.AddSeconds(100)));
        Assert.Equal(200, ConsultationLifecycle.HandleSeconds(c, T0.AddSeconds(300)));
        Assert.Equal(ConsultationStatus.Closed, ConsultationLifecycle.Finish(c, T0.AddSeconds(300), null));
        Assert.Equal(Resolution.Answered, c.Resolution);
        Assert.Equal(["lw-a", "lw-b", "lw-c"], c.LawyersInvolved);
        // Finished is final.
        Assert.Null(ConsultationLifecycle.Finish(c, T0.AddSeconds(301), null));
        Assert.False(ConsultationLifecycle.Requeue(c));
        Assert.False(ConsultationLifecycle.Assign(c, "lw-a", "A", T0.AddSeconds(302)));
    }

    [Fact]
    public void A_waiting_consultation_that_ends_is_abandoned_without_a_resolution()
    {
        var c = new Record();
        ConsultationLifecycle.Open(c, T0);
        ConsultationLifecycle.Offer(c, "lw-a", T0.AddSeconds(20));
        Assert.Equal(ConsultationStatus.Abandoned, ConsultationLifecycle.Finish(c, T0.AddSeconds(5), null));
        Assert.Null(c.Resolution);
        Assert.Null(c.OfferedTo);
    }

    [Theory]
    [InlineData(ConsultationStatus.Queued)]
    [InlineData(ConsultationStatus.Offered)]
    [InlineData(ConsultationStatus.Active)]
    public void A_worker_who_erases_themself_abandons_every_unfinished_consultation_active_included(ConsultationStatus from)
    {
        var c = new Record();
        ConsultationLifecycle.Open(c, T0);
        if (from == ConsultationStatus.Offered) ConsultationLifecycle.Offer(c, "lw-a", T0.AddSeconds(20));
        if (from == ConsultationStatus.Active) ConsultationLifecycle.Assign(c, "lw-a", "A", T0.AddSeconds(3));
        Assert.True(ConsultationStateMachine.CanEndOnErasure(c.Status));
        Assert.Equal(ConsultationStatus.Abandoned, ConsultationLifecycle.Finish(c, T0.AddSeconds(9), Resolution.Answered, workerErased: true));
        Assert.Equal((ConsultationStatus.Abandoned, (Resolution?)null, T0.AddSeconds(9), (string?)null), (c.Status, c.Resolution, c.ClosedAt!.Value, c.OfferedTo));
        // Not an ordinary transition: a lawyer's or worker's close of an active one still closes it.
        Assert.False(ConsultationStateMachine.CanTransition(ConsultationStatus.Active, ConsultationStatus.Abandoned));
        Assert.Null(ConsultationLifecycle.Finish(c, T0.AddSeconds(10), null, workerErased: true));
        Assert.False(ConsultationStateMachine.CanEndOnErasure(ConsultationStatus.Closed));
    }
}
