using Hotline.Client;

namespace Hotline.Fuzz;

/// <summary>The platform under fuzz: where it is, its secrets, and whether its process is still alive.</summary>
public sealed record FuzzTarget(Uri Url, string AdminPassword, string GatewayKey, Func<bool> ProcessAlive);

/// <summary>
/// Real state the fuzzer aims at: an admin, a lawyer in an active consultation with a worker (the lawyer's own hub
/// connection stays open throughout: a healthy connection must not lapse), a second queued consultation for admin
/// actions, a throwaway lawyer for updates, and the counts that rejected input must leave unchanged.
/// </summary>
public sealed class World : IAsyncDisposable
{
    public required FuzzTarget Target { get; init; }
    public required HotlineRest Rest { get; init; }
    public required string AdminToken { get; init; }
    public required LoginResult Lawyer { get; init; }
    public required HotlineConnection LawyerHub { get; init; }
    public required WorkerToken Worker { get; init; }
    public required string Active { get; init; }
    public required string Queued { get; init; }
    public required string SpareLawyerId { get; init; }
    public required long ActiveSeqBefore { get; init; }
    public required int RosterBefore { get; init; }
    public required int WorkerConsultationsBefore { get; init; }

    /// <summary>Ids worth aiming at (valid ones, so that hostile input reaches real grains).</summary>
    public IReadOnlyList<string> Ids => [Active, Queued, Lawyer.UserId, SpareLawyerId, Worker.WorkerId];

    public static async Task<World> Create(FuzzTarget target)
    {
        var rest = new HotlineRest(new HttpClient { BaseAddress = target.Url, Timeout = TimeSpan.FromSeconds(60) });
        var admin = (await rest.Login("admin", target.AdminPassword)).Token;
        var suffix = Guid.NewGuid().ToString("N")[..8];
        // A category/dialect pair of its own, so no other lawyer takes the fuzzer's consultations.
        await rest.CreateLawyer(admin, "fuzz-l-" + suffix, "fuzz-password-12351", "Fuzz lawyer", ["unpaid_wages"], ["hakka"], 1);
        var spare = await rest.CreateLawyer(admin, "fuzz-s-" + suffix, "fuzz-password-12351", "Fuzz spare", ["dismissal"], ["english"], 1);
        var lawyer = await rest.Login("fuzz-l-" + suffix, "fuzz-password-12351");
        var hub = HotlineConnection.Lawyer(target.Url, lawyer.Token);
        await hub.StartAsync();
        await hub.Invoke<Hotline.Client.Lawyer>("SetAvailability", ["available"]);

        var worker = await rest.CreateWorker("Fuzz worker");
        var active = await rest.OpenConsultation(worker.Token, "unpaid_wages", "hakka", "Fuzz: my wages are three months late.");
        await hub.Offers.WaitAsync(o => o.ConsultationId == active.Id, TimeSpan.FromSeconds(60));
        await hub.AcceptOffer(active.Id);
        // Capacity 1 and busy: the second consultation stays queued.
        var queued = await rest.OpenConsultation(worker.Token, "unpaid_wages", "hakka", "Fuzz: a second case that waits.");
        var first = await rest.GetConsultation(worker.Token, active.Id);
        return new World
        {
            Target = target, Rest = rest, AdminToken = admin, Lawyer = lawyer, LawyerHub = hub, Worker = worker,
            Active = active.Id, Queued = queued.Id, SpareLawyerId = spare.Id, ActiveSeqBefore = first.LastSeq,
            RosterBefore = (await rest.GetLawyers(admin)).Count,
            WorkerConsultationsBefore = await WorkerConsultations(rest, worker.Token),
        };
    }

    public static async Task<int> WorkerConsultations(HotlineRest rest, string token) =>
        (await rest.Send<IReadOnlyList<Consultation>>(HttpMethod.Get, "/api/workers/me/consultations", token)).Count;

    public async ValueTask DisposeAsync()
    {
        await LawyerHub.DisposeAsync();
        Rest.Http.Dispose();
    }
}
