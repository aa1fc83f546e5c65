namespace Hotline.Domain.Tests;

public sealed class ConsistencyRulesTests
{
    [Theory]
    // What a crash at each step can leave behind, and its one repair.
    [InlineData(false, ConsultationStatus.Queued, null, RouterPlacement.Queued, null, ConsistencyRepair.ForgetInRouter)]      // open: router first
    [InlineData(true, ConsultationStatus.Active, "lw-a", RouterPlacement.Queued, null, ConsistencyRepair.ConsultationToQueued)] // transfer / requeue: router first
    [InlineData(true, ConsultationStatus.Offered, null, RouterPlacement.Active, "lw-a", ConsistencyRepair.ConsultationToActive)] // accept: router first
    [InlineData(true, ConsultationStatus.Closed, "lw-a", RouterPlacement.Active, "lw-a", ConsistencyRepair.ForgetInRouter)]   // close: consultation first
    [InlineData(true, ConsultationStatus.Abandoned, null, RouterPlacement.Queued, null, ConsistencyRepair.ForgetInRouter)]   // abandon: consultation first
    [InlineData(true, ConsultationStatus.Queued, null, RouterPlacement.None, null, ConsistencyRepair.EnqueueInRouter)]       // router lost it
    [InlineData(true, ConsultationStatus.Active, "lw-a", RouterPlacement.None, null, ConsistencyRepair.EnqueueInRouter)]
    [InlineData(true, ConsultationStatus.Active, "lw-a", RouterPlacement.Active, "lw-b", ConsistencyRepair.ConsultationToActive)]
    // Agreement, including a one-way callback still in flight (offer made or withdrawn).
    [InlineData(true, ConsultationStatus.Queued, null, RouterPlacement.Queued, null, ConsistencyRepair.None)]
    [InlineData(true, ConsultationStatus.Offered, null, RouterPlacement.Queued, null, ConsistencyRepair.None)]
    [InlineData(true, ConsultationStatus.Active, "lw-a", RouterPlacement.Active, "lw-a", ConsistencyRepair.None)]
    [InlineData(true, ConsultationStatus.Closed, "lw-a", RouterPlacement.None, null, ConsistencyRepair.None)]
    [InlineData(false, ConsultationStatus.Queued, null, RouterPlacement.None, null, ConsistencyRepair.None)]
    public void Each_disagreement_has_exactly_one_repair(bool exists, ConsultationStatus status, string? lawyer, RouterPlacement router, string? routerLawyer, ConsistencyRepair expected)
        => Assert.Equal(expected, ConsistencyRules.Compare(exists, status, lawyer, router, routerLawyer));

    [Theory]
    // The router died after offering it and before the offer went out: the consultation records it (and pushes it).
    [InlineData(ConsultationStatus.Queued, null, "lw-a", ConsistencyRepair.RecordOffer)]
    [InlineData(ConsultationStatus.Offered, "lw-b", "lw-a", ConsistencyRepair.RecordOffer)]
    // Agreement, or a withdrawal still on its way to the consultation.
    [InlineData(ConsultationStatus.Offered, "lw-a", "lw-a", ConsistencyRepair.None)]
    [InlineData(ConsultationStatus.Offered, "lw-a", null, ConsistencyRepair.None)]
    [InlineData(ConsultationStatus.Queued, null, null, ConsistencyRepair.None)]
    public void An_offer_only_the_router_knows_is_recorded(ConsultationStatus status, string? offeredTo, string? routerOfferedTo, ConsistencyRepair expected)
        => Assert.Equal(expected, ConsistencyRules.Compare(true, status, null, RouterPlacement.Queued, null, offeredTo, routerOfferedTo));

    [Fact]
    public void A_pass_checks_the_router_s_consultations_and_the_store_s_unfinished_ones_each_once()
    {
        // c-3: queued in the store, lost by the router; it is only found through the store.
        Assert.Equal(["c-1", "c-2", "c-3"], ConsistencyRules.ToCheck(["c-1", "c-2"], ["c-2", "c-3"]));
        Assert.Equal(ConsistencyRepair.EnqueueInRouter, ConsistencyRules.Compare(true, ConsultationStatus.Queued, null, RouterPlacement.None, null));
    }
}
