namespace Hotline.Domain;

/// <summary>Collective-dispute detection settings (bound from <c>Hotline:Collective</c>).</summary>
public sealed class CollectiveOptions
{
    /// <summary>Distinct workers naming one employer within the window that open an alert.</summary>
    public int Threshold { get; set; } = 3;
    /// <summary>The window, in days, in which the mentions of one employer are counted together.</summary>
    public double WindowDays { get; set; } = 14;

    /// <summary>The window as a time span (at least one second, whatever is configured).</summary>
    public TimeSpan Window => TimeSpan.FromDays(Math.Max(WindowDays, 1.0 / 86400));
}

/// <summary>State of a collective-dispute alert.</summary>
public enum AlertStatus { Open, Acknowledged, Closed }

/// <summary>A consultation that named an employer at intake. Serialisable POCO.</summary>
public sealed class EmployerMention
{
    public string ConsultationId { get; set; } = "";
    public string WorkerId { get; set; } = "";
    /// <summary><see cref="EmployerName.Key"/> of <see cref="Employer"/>.</summary>
    public string EmployerKey { get; set; } = "";
    /// <summary>The name as this worker wrote it (display form).</summary>
    public string Employer { get; set; } = "";
    public string? Region { get; set; }
    public DateTimeOffset At { get; set; }
}

/// <summary>A collective-dispute alert: one employer, several distinct workers, one window. Serialisable POCO.</summary>
public sealed class CollectiveAlert
{
    public string Id { get; set; } = "";
    public string EmployerKey { get; set; } = "";
    /// <summary>The name as the first worker of the alert wrote it.</summary>
    public string Employer { get; set; } = "";
    /// <summary>The region most of its consultations named, if any.</summary>
    public string? Region { get; set; }
    public List<string> ConsultationIds { get; set; } = [];
    /// <summary>Distinct workers (pseudonymous ids, never shown; only their number is).</summary>
    public List<string> WorkerIds { get; set; } = [];
    public List<string?> Regions { get; set; } = [];
    public DateTimeOffset FirstAt { get; set; }
    public DateTimeOffset LastAt { get; set; }
    public AlertStatus Status { get; set; }
    public DateTimeOffset? AcknowledgedAt { get; set; }
    public string? AcknowledgedBy { get; set; }
    public DateTimeOffset? ClosedAt { get; set; }
    public string? ClosedBy { get; set; }
}

/// <summary>Durable state of the detector. Serialisable POCO.</summary>
public sealed class CollectiveState
{
    /// <summary>Mentions within the window (older ones are pruned).</summary>
    public List<EmployerMention> Mentions { get; set; } = [];
    public List<CollectiveAlert> Alerts { get; set; } = [];
    public long NextAlertNumber { get; set; } = 1;
}

/// <summary>
/// Collective-dispute detection, pure: when <see cref="CollectiveOptions.Threshold"/> consultations from distinct workers name
/// the same employer (same <see cref="EmployerName.Key"/>) within <see cref="CollectiveOptions.WindowDays"/>, an alert opens.
/// </summary>
/// <remarks>
/// <para>One worker calling many times counts once. While an alert of an employer is open or acknowledged, later mentions
/// join it (no second alert). After an admin closes it, only mentions after the close count toward a new alert, so closing
/// is not immediately undone by the same old consultations.</para>
/// <para><see cref="RelatedCount"/> is the number of other consultations naming the same employer within the window (all of
/// them, the same worker's included): what a lawyer should know about the case in front of them.</para>
/// </remarks>
public sealed class CollectiveDisputes(CollectiveState state, CollectiveOptions options)
{
    /// <summary>The state (for persistence).</summary>
    public CollectiveState State => state;

    /// <summary>
    /// Records a mention; returns the alert it opened or joined (changed), or null. A consultation recorded twice
    /// (a retried call) changes nothing.
    /// </summary>
    public CollectiveAlert? Record(EmployerMention mention, DateTimeOffset now)
    {
        Prune(now);
        if (string.IsNullOrEmpty(mention.EmployerKey)) return null;
        if (state.Mentions.Any(m => m.ConsultationId == mention.ConsultationId)) return null;
        state.Mentions.Add(mention);

        if (Live(mention.EmployerKey) is { } live)
        {
            Join(live, mention);
            return live;
        }

        var since = now - options.Window;
        var lastClosed = state.Alerts.Where(a => a.EmployerKey == mention.EmployerKey && a.ClosedAt is not null).Max(a => a.ClosedAt);
        var counted = state.Mentions
            .Where(m => m.EmployerKey == mention.EmployerKey && m.At >= since && (lastClosed is null || m.At > lastClosed))
            .OrderBy(m => m.At)
            .ToList();
        if (counted.Select(m => m.WorkerId).Distinct(StringComparer.Ordinal).Count() < Math.Max(1, options.Threshold)) return null;

        var alert = new CollectiveAlert
        {
            Id = $"al-{state.NextAlertNumber++:D6}",
            EmployerKey = mention.EmployerKey,
            Employer = counted[0].Employer,
            FirstAt = counted[0].At,
            Status = AlertStatus.Open,
        };
        foreach (var m in counted) Join(alert, m);
        state.Alerts.Add(alert);
        return alert;
    }

    /// <summary>Other consultations naming the employer of <paramref name="employerKey"/> within the window.</summary>
    public int RelatedCount(string? employerKey, string consultationId, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(employerKey)) return 0;
        var since = now - options.Window;
        return state.Mentions.Count(m => m.EmployerKey == employerKey && m.At >= since && m.ConsultationId != consultationId);
    }

    /// <summary>Ids of the other consultations naming that employer within the window, newest first.</summary>
    public IReadOnlyList<string> Related(string? employerKey, string consultationId, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(employerKey)) return [];
        var since = now - options.Window;
        return state.Mentions.Where(m => m.EmployerKey == employerKey && m.At >= since && m.ConsultationId != consultationId)
            .OrderByDescending(m => m.At).Select(m => m.ConsultationId).ToList();
    }

    /// <summary>Alerts, newest first, optionally of one status.</summary>
    public IReadOnlyList<CollectiveAlert> List(AlertStatus? status) =>
        state.Alerts.Where(a => status is null || a.Status == status).OrderByDescending(a => a.LastAt).ThenByDescending(a => a.Id, StringComparer.Ordinal).ToList();

    /// <summary>Acknowledges an open alert (idempotent on an acknowledged one); null when unknown, an error text when closed.</summary>
    public (CollectiveAlert? Alert, string? Error) Acknowledge(string id, string actor, DateTimeOffset now)
    {
        var alert = state.Alerts.FirstOrDefault(a => a.Id == id);
        if (alert is null) return (null, null);
        if (alert.Status == AlertStatus.Closed) return (alert, "the alert is closed");
        if (alert.Status == AlertStatus.Open)
        {
            alert.Status = AlertStatus.Acknowledged;
            alert.AcknowledgedAt = now;
            alert.AcknowledgedBy = actor;
        }
        return (alert, null);
    }

    /// <summary>Closes an alert (idempotent); null when unknown.</summary>
    public CollectiveAlert? Close(string id, string actor, DateTimeOffset now)
    {
        var alert = state.Alerts.FirstOrDefault(a => a.Id == id);
        if (alert is null || alert.Status == AlertStatus.Closed) return alert;
        alert.Status = AlertStatus.Closed;
        alert.ClosedAt = now;
        alert.ClosedBy = actor;
        return alert;
    }

    /// <summary>What an erased worker's id becomes in an alert (followed by its place in the list, so each stays distinct).</summary>
    public const string ErasedWorker = "erased-";

    /// <summary>
    /// Forgets a consultation whose worker erased it or whose retention ran out: its mention goes, and every alert drops its
    /// id and region and replaces its worker's id with <see cref="ErasedWorker"/>, so the alert still counts every worker who
    /// named the employer but no longer says who. An alert whose name was this consultation's takes the next consultation's
    /// spelling while its mention is within the window (else the normalised key), and its first and last instants are
    /// kept to the day. Returns the alerts that changed.
    /// </summary>
    /// <remarks>The worker's other consultations in the same alert no longer tie to them there either: the alert keeps
    /// which workers it counts, not which consultation each one opened.</remarks>
    public IReadOnlyList<CollectiveAlert> Forget(string consultationId, string workerId, DateTimeOffset now)
    {
        Prune(now);
        state.Mentions.RemoveAll(m => m.ConsultationId == consultationId);
        var changed = new List<CollectiveAlert>();
        foreach (var alert in state.Alerts)
        {
            var at = alert.ConsultationIds.IndexOf(consultationId);
            if (at < 0) continue;
            alert.ConsultationIds.RemoveAt(at);
            if (at < alert.Regions.Count) alert.Regions.RemoveAt(at);
            var worker = alert.WorkerIds.IndexOf(workerId);
            if (worker >= 0) alert.WorkerIds[worker] = ErasedWorker + worker;
            // The name is always the first consultation's spelling or the key, so forgetting the first is all that changes it.
            if (at == 0)
                alert.Employer = state.Mentions.FirstOrDefault(m => alert.ConsultationIds.Count > 0 && m.ConsultationId == alert.ConsultationIds[0])?.Employer
                    ?? alert.EmployerKey;
            alert.Region = MostNamed(alert.Regions);
            // The exact instants are the first and last consultations' own opening times, which their rows keep: to the
            // day, they no longer point at the one forgotten.
            alert.FirstAt = new DateTimeOffset(alert.FirstAt.UtcDateTime.Date, TimeSpan.Zero);
            alert.LastAt = new DateTimeOffset(alert.LastAt.UtcDateTime.Date, TimeSpan.Zero);
            changed.Add(alert);
        }
        return changed;
    }

    /// <summary>Drops mentions older than the window: nothing outside it is ever counted.</summary>
    public void Prune(DateTimeOffset now)
    {
        var since = now - options.Window;
        state.Mentions.RemoveAll(m => m.At < since);
    }

    private CollectiveAlert? Live(string key) => state.Alerts.FirstOrDefault(a => a.EmployerKey == key && a.Status != AlertStatus.Closed);

    private static void Join(CollectiveAlert alert, EmployerMention m)
    {
        if (alert.ConsultationIds.Contains(m.ConsultationId)) return;
        alert.ConsultationIds.Add(m.ConsultationId);
        if (!alert.WorkerIds.Contains(m.WorkerId)) alert.WorkerIds.Add(m.WorkerId);
        alert.Regions.Add(m.Region);
        if (m.At > alert.LastAt) alert.LastAt = m.At;
        if (m.At < alert.FirstAt) alert.FirstAt = m.At;
        alert.Region = MostNamed(alert.Regions);
    }

    private static string? MostNamed(IEnumerable<string?> regions) =>
        regions.Where(r => r is not null).GroupBy(r => r).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Key).FirstOrDefault();
}
