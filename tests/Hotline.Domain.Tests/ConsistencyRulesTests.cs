using Hotline.Domain;

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
}
