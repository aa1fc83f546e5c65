using Hotline.Abstractions;
using Hotline.Domain;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hotline.Grains;

/// <summary>
/// The hotline's collective-dispute detector (<see cref="CollectiveDisputes"/>) with its durable state: employer mentions
/// within the window and every alert. Each change is written before the caller hears back, so an opened alert survives a
/// restart; the <c>Alert</c> push to admins follows the write.
/// </summary>
public sealed class CollectiveGrain(
    [PersistentState("collective", StorageNames.Hotline)] IPersistentState<CollectiveState> state,
    IOptions<CollectiveOptions> options,
    IClientNotifier notifier,
    TimeProvider time,
    ILogger<CollectiveGrain> logger) : Grain, ICollectiveGrain
{
    private CollectiveDisputes Detector => new(state.State, options.Value);
    private OrderedPushes? _pushes;

    /// <summary>
    /// Pushes an alert to admins after its write, in order with the others, without holding the turn: every consultation
    /// that names an employer calls this one activation, and over a Redis backplane that is gone a push waits for its
    /// timeout (5 s). None while the backplane is known down: admins read the alerts when they come back.
    /// </summary>
    private void PushAlert(AlertView view)
    {
        if (notifier.CanPush) _ = (_pushes ??= new OrderedPushes(logger)).Enqueue(() => notifier.Admins.Alert(view));
    }

    public async Task Record(EmployerMentioned mention)
    {
        var alert = Detector.Record(new EmployerMention
        {
            ConsultationId = mention.ConsultationId,
            WorkerId = mention.WorkerId,
            EmployerKey = mention.EmployerKey,
            Employer = mention.Employer,
            Region = mention.Region,
            At = mention.At,
        }, time.GetUtcNow());
        await state.WriteStateAsync();
        if (alert is not null) PushAlert(AlertView.From(alert));
    }

    public async Task Forget(string consultationId, string workerId)
    {
        var mentions = state.State.Mentions.Count;
        var changed = Detector.Forget(consultationId, workerId, time.GetUtcNow());
        // Nothing held for it (forgotten before, or never named an employer): no write of the whole state, which every
        // open waits on (the sweep asks this for every erased consultation).
        if (changed.Count == 0 && state.State.Mentions.Count == mentions) return;
        await state.WriteStateAsync();
        foreach (var alert in changed) PushAlert(AlertView.From(alert));
    }

    public Task<int> RelatedCount(string employerKey, string consultationId)
        => Task.FromResult(Detector.RelatedCount(employerKey, consultationId, time.GetUtcNow()));

    public Task<IReadOnlyList<string>> Related(string employerKey, string consultationId)
        => Task.FromResult(Detector.Related(employerKey, consultationId, time.GetUtcNow()));

    public Task<IReadOnlyList<AlertView>> GetAlerts(AlertStatus? status)
        => Task.FromResult<IReadOnlyList<AlertView>>(Detector.List(status).Select(AlertView.From).ToList());

    public Task<AlertView> GetAlert(string alertId)
    {
        var alert = state.State.Alerts.FirstOrDefault(a => a.Id == alertId) ?? throw Guard.NotFound("alert not found");
        return Task.FromResult(AlertView.From(alert));
    }

    public async Task<AlertView> Acknowledge(string alertId, string actorId)
    {
        var before = state.State.Alerts.FirstOrDefault(a => a.Id == alertId)?.Status;
        var (alert, error) = Detector.Acknowledge(alertId, actorId, time.GetUtcNow());
        if (alert is null) throw Guard.NotFound("alert not found");
        if (error is not null) throw Guard.Conflict(error);
        return await Changed(alert, before);
    }

    public async Task<AlertView> Close(string alertId, string actorId)
    {
        var before = state.State.Alerts.FirstOrDefault(a => a.Id == alertId)?.Status;
        var alert = Detector.Close(alertId, actorId, time.GetUtcNow()) ?? throw Guard.NotFound("alert not found");
        return await Changed(alert, before);
    }

    /// <summary>Writes and pushes a status change; a repeated acknowledge or close writes and pushes nothing.</summary>
    private async Task<AlertView> Changed(CollectiveAlert alert, AlertStatus? before)
    {
        var view = AlertView.From(alert);
        if (before == alert.Status) return view;
        await state.WriteStateAsync();
        PushAlert(view);
        return view;
    }
}
