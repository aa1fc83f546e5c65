using Hotline.Abstractions;
using Hotline.Domain;
using Hotline.Silo.Api;
using Hotline.Silo.Security;
using Microsoft.AspNetCore.Authorization;

namespace Hotline.Silo.Hubs;

/// <summary><c>/hubs/lawyer</c>: availability, offers, several consultations at once, notes, transfer, close.</summary>
[Authorize(Roles = Roles.Lawyer)]
public sealed class LawyerHub(IGrainFactory grains, GrainCalls calls, Catalog catalog, LawyerConnectionRegistry connections) : ConsultationHub<ILawyerClient>(grains, calls)
{
    private ILawyerGrain Lawyer => Grains.GetGrain<ILawyerGrain>(Me.Id);

    public override async Task OnConnectedAsync()
    {
        await Calls.Run(() => Lawyer.Connected(Context.ConnectionId));
        connections.Add(Context.ConnectionId, Me.Id, Context.Abort, Context.User is { } user ? TokenRevocation.ClaimsOf(user) : null);
        await base.OnConnectedAsync();
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        connections.Remove(Context.ConnectionId);
        await Calls.Run(() => Lawyer.Disconnected(Context.ConnectionId));
        await base.OnDisconnectedAsync(exception);
    }

    public Task<LawyerView> SetAvailability(string status)
    {
        var parsed = WireEnum.Parse<LawyerStatus>(status, "status");
        return Calls.Run(() => Lawyer.SetAvailability(parsed));
    }

    public Task<LawyerView> SetCapacity(int n) => Calls.Run(() => Lawyer.SetCapacity(n));

    public Task<LawyerView> GetMe() => Calls.Run(() => Lawyer.GetView());

    /// <summary>Declares a conflict of interest with an employer: nothing of that employer is offered to this lawyer any more,
    /// and an active consultation naming it goes back to routing.</summary>
    public Task<LawyerView> DeclareConflict(string employer)
        => Calls.Run(() => Grains.GetGrain<ILawyerManagementGrain>(Me.Id).DeclareConflict(employer));

    public async Task<JoinResult> AcceptOffer(string consultationId) => (await Calls.Run(() => Consultation(consultationId).Accept(Me))).Reveal(Phones);

    /// <summary>Pull: the waiting consultations this lawyer is eligible for now, in queue order (views, no messages). One
    /// taken or closed between the router's answer and its view is left out: the list holds waiting ones only.</summary>
    public async Task<IReadOnlyList<ConsultationView>> GetQueue()
    {
        var ids = await Calls.Run(() => Grains.GetGrain<IRouterGrain>(GrainKeys.Hotline).GetQueue(Me.Id));
        var views = await ConsultationQueries.ViewsInOrder(Grains, Calls, ids);
        return views.Where(v => v.Status is ConsultationStatus.Queued or ConsultationStatus.Offered).ToList();
    }

    /// <summary>Pull: takes a waiting consultation at once (<c>conflict</c> when not eligible or no free capacity).</summary>
    public async Task<JoinResult> Claim(string consultationId) => (await Calls.Run(() => Consultation(consultationId).Claim(Me))).Reveal(Phones);

    /// <summary>Declines the offer; the lawyer's view of the consultation ends at once (need-to-know).</summary>
    public Task DeclineOffer(string consultationId) => Calls.Run(() => Consultation(consultationId).Decline(Me));

    public Task<ConsultationView> Transfer(string consultationId, TransferRequest? request)
    {
        // A null request (JSON null) was a NullReferenceException, answered internal_error (found by the fuzzer).
        if (request is null) throw new HotlineException(HotlineException.Codes.Validation, "the transfer request is required");
        if (request.ToCategory is not null && !catalog.HasCategory(request.ToCategory))
            throw new HotlineException(HotlineException.Codes.Validation, "toCategory is not in the catalog");
        return Calls.Run(() => Consultation(consultationId).Transfer(Me, request));
    }

    public Task<NoteView> AddNote(string consultationId, string text) => Calls.Run(() => Consultation(consultationId).AddNote(Me, text));

    public Task<IReadOnlyList<NoteView>> GetNotes(string consultationId) => Calls.Run(() => Consultation(consultationId).GetNotes(Me));

    /// <summary>Closes with a resolution; <paramref name="summary"/> stays with lawyers, <paramref name="adviceToWorker"/> is the worker's result.</summary>
    public Task<ConsultationView> CloseConsultation(string consultationId, string resolution, string? summary, string? adviceToWorker)
    {
        var parsed = WireEnum.Parse<Resolution>(resolution, "resolution");
        return Calls.Run(() => Consultation(consultationId).CloseByLawyer(Me, parsed, summary, adviceToWorker));
    }

    /// <summary>Records a call-back attempt on a phone consultation: <c>reached</c> or <c>no_answer</c>.</summary>
    public Task<ConsultationView> RecordCallAttempt(string consultationId, string outcome)
    {
        var parsed = WireEnum.Parse<CallOutcome>(outcome, "outcome");
        return Reveal(Calls.Run(() => Consultation(consultationId).RecordCallAttempt(Me, parsed)));
    }

    /// <summary>Consultations offered or assigned to this lawyer, now or before, newest first.</summary>
    public async Task<IReadOnlyList<ConsultationView>> GetMyConsultations()
    {
        var ids = await Calls.Run(() => Lawyer.GetConsultationIds());
        var phones = Phones;
        return (await ConsultationQueries.Views(Grains, Calls, ids.TakeLast(200), Me)).Select(v => v.Reveal(phones)).ToList();
    }

    private async Task<ConsultationView> Reveal(Task<ConsultationView> view) => (await view).Reveal(Phones);
}
