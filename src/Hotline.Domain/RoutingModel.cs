namespace Hotline.Domain;

/// <summary>One relaxation step of the "bullseye": after <see cref="AfterSeconds"/> in the queue, these rules apply.</summary>
public sealed class WideningStep
{
    /// <summary>Seconds since the consultation was (re)routed (<see cref="QueueEntry.RoutedSince"/>) after which this step applies.</summary>
    public double AfterSeconds { get; set; }
    /// <summary>Whether the lawyer must have the consultation's category skill.</summary>
    public bool RequireCategory { get; set; } = true;
    /// <summary>Whether any dialect is acceptable.</summary>
    public bool AnyDialect { get; set; }
    /// <summary>Dialects accepted besides the consultation's own (e.g. "mandarin").</summary>
    public List<string> AlsoDialects { get; set; } = [];
}

/// <summary>Routing configuration (bound from <c>Hotline:Routing</c>).</summary>
public sealed class RoutingOptions
{
    /// <summary>Offer deadline.</summary>
    public double OfferTimeoutSeconds { get; set; } = 20;
    /// <summary>Set a lawyer away when an offer to them times out.</summary>
    public bool SetAwayOnTimeout { get; set; } = true;
    /// <summary>
    /// How long a lawyer who declined or let an offer lapse is passed over for that consultation. The exclusion is
    /// never in force while no other eligible lawyer is online (available and connected).
    /// </summary>
    public double ExclusionSeconds { get; set; } = 300;
    /// <summary>How long a transfer to a named lawyer waits for them before normal routing takes over (at once when they are offline).</summary>
    public double PreferenceTimeoutSeconds { get; set; } = 120;
    /// <summary>Handle time assumed for wait estimates before any consultation has closed.</summary>
    public double DefaultHandleSeconds { get; set; } = 300;
    /// <summary>Relaxation steps, ordered by <see cref="WideningStep.AfterSeconds"/>. Step 0 (exact match) is implicit.</summary>
    public List<WideningStep> Widening { get; set; } =
    [
        new() { AfterSeconds = 60, RequireCategory = true, AlsoDialects = ["mandarin"] },
        new() { AfterSeconds = 180, RequireCategory = false, AnyDialect = true },
    ];
}

/// <summary>A consultation waiting in the router's queue (queued or offered).</summary>
public sealed class QueueEntry
{
    public required string ConsultationId { get; init; }
    public required string Category { get; set; }
    public required string Dialect { get; set; }
    public Channel Channel { get; set; }
    /// <summary>Higher first. Requeued-after-grace consultations keep their original age and so stay ahead of newer ones.</summary>
    public int Priority { get; set; }
    /// <summary>When the consultation first entered the queue: age ordering (fairness) is measured from here, across requeues.</summary>
    public DateTimeOffset QueuedAt { get; set; }
    /// <summary>
    /// When the consultation was last (re)routed: first queueing, transfer or any other requeue. Widening counts from here, so
    /// a transferred consultation starts from an exact match in its new category. Default: <see cref="QueuedAt"/>.
    /// </summary>
    public DateTimeOffset RoutedSince { get; set; }
    /// <summary>Tie-breaker: arrival order.</summary>
    public long Sequence { get; set; }
    /// <summary>
    /// Lawyers who declined, let an offer lapse or transferred it away, and since when. Passed over for
    /// <see cref="RoutingOptions.ExclusionSeconds"/> from then, and only while another eligible lawyer is online.
    /// </summary>
    public Dictionary<string, DateTimeOffset> Exclusions
    {
        get => _exclusions ??= new(StringComparer.Ordinal);
        set => _exclusions = value;
    }

    // Made on first use: most entries never have an exclusion, and the engine copies every entry it admits.
    private Dictionary<string, DateTimeOffset>? _exclusions;

    /// <summary>Whether any exclusion is recorded (without making the dictionary).</summary>
    internal bool HasExclusions => _exclusions is { Count: > 0 };

    /// <summary>Since when <paramref name="lawyerId"/> is excluded, if they are (without making the dictionary).</summary>
    internal bool TryGetExclusion(string lawyerId, out DateTimeOffset since)
    {
        if (_exclusions is { Count: > 0 } x) return x.TryGetValue(lawyerId, out since);
        since = default;
        return false;
    }
    /// <summary>A transfer to a named lawyer: offered only to them until <see cref="PreferenceExpiresAt"/> or until they go offline.</summary>
    public string? PreferredLawyerId { get; set; }
    /// <summary>When the named-lawyer preference lapses into normal routing.</summary>
    public DateTimeOffset? PreferenceExpiresAt { get; set; }
    /// <summary>The normalised employer the worker named, if any: never offered to a lawyer with a conflict on it.</summary>
    public string? EmployerKey { get; set; }
    /// <summary>The worker's region (catalog id), if given: only counted for the per-region metrics, never for routing.</summary>
    public string? Region { get; set; }
    /// <summary>Outstanding offer, if any.</summary>
    public string? OfferedTo { get; set; }
    public DateTimeOffset? OfferExpiresAt { get; set; }
    /// <summary>While active: the lawyer it is assigned to (kept in <see cref="RouterState.ActiveEntries"/>).</summary>
    public string? AssignedTo { get; set; }
    /// <summary>While active: when it was accepted (handle time when the caller gives none).</summary>
    public DateTimeOffset? AssignedAt { get; set; }

    /// <summary>
    /// The routing index's filing stamp while the entry waits in its buckets (0 when it is not filed): a bucket item with
    /// another stamp is one the entry left (see QueueBucket). Not state: a new or restored engine files every entry anew.
    /// </summary>
    internal long FiledAs;

    /// <summary>Where the routing index that last filed this entry keeps it (a cache of its look-up by id, checked against
    /// that index's generation). Not state.</summary>
    internal RoutingIndex.Slot? IndexSlot;

    /// <summary>A deep copy (the router never keeps the caller's instance).</summary>
    public QueueEntry Clone() => new()
    {
        ConsultationId = ConsultationId, Category = Category, Dialect = Dialect, Channel = Channel, Priority = Priority,
        QueuedAt = QueuedAt, RoutedSince = RoutedSince, Sequence = Sequence,
        _exclusions = _exclusions is { Count: > 0 } x ? new(x, StringComparer.Ordinal) : null,
        PreferredLawyerId = PreferredLawyerId, PreferenceExpiresAt = PreferenceExpiresAt, EmployerKey = EmployerKey, Region = Region, OfferedTo = OfferedTo, OfferExpiresAt = OfferExpiresAt, AssignedTo = AssignedTo, AssignedAt = AssignedAt,
    };
}

/// <summary>The router's view of one lawyer.</summary>
public sealed class LawyerSlot
{
    public required string LawyerId { get; init; }
    public string DisplayName { get; set; } = "";
    public HashSet<string> Skills { get; set; } = [];
    public HashSet<string> Dialects { get; set; } = [];
    public int Capacity { get; set; } = 1;
    public LawyerStatus Status { get; set; } = LawyerStatus.Offline;
    /// <summary>Active consultations and their channel (a phone call fills the lawyer).</summary>
    public Dictionary<string, Channel> Active { get; set; } = [];
    /// <summary>Normalised employer keys the lawyer has a conflict of interest with.</summary>
    public HashSet<string> Conflicts { get; set; } = [];
    /// <summary>Since when the lawyer has had no active consultation and no offer (for longest-idle fairness).</summary>
    public DateTimeOffset IdleSince { get; set; }
    /// <summary>
    /// False after <see cref="RoutingEngine.LawyerDisconnected"/> until the lawyer is upserted again (or
    /// <see cref="RoutingEngine.LawyerConnected"/>): a disconnected lawyer gets no new offers.
    /// </summary>
    public bool Connected { get; set; } = true;

    /// <summary>What the routing index keeps for this lawyer (a cache of its look-ups by lawyer, checked against that
    /// index's generation). Not state.</summary>
    internal RoutingIndex.LawyerRecord? IndexRecord;
}

/// <summary>Everything the router knows; serialised as the router grain's durable state.</summary>
public sealed class RouterState
{
    public Dictionary<string, QueueEntry> Queue { get; set; } = [];
    public Dictionary<string, LawyerSlot> Lawyers { get; set; } = [];
    public long NextSequence { get; set; } = 1;
    /// <summary>Recent handle times in seconds (bounded window), for wait estimates.</summary>
    public List<double> RecentHandleSeconds { get; set; } = [];
    /// <summary>Accepted (active) consultations, by id, kept so that <see cref="RoutingEngine.Requeue"/> can restore their age.</summary>
    public Dictionary<string, QueueEntry> ActiveEntries { get; set; } = [];
}

/// <summary>A lawyer's routing-relevant profile and status, as the lawyer grain reports it.</summary>
/// <param name="Conflicts">Normalised employer keys the lawyer must never be given (null: none).</param>
public sealed record LawyerInfo(string LawyerId, string DisplayName, IReadOnlyCollection<string> Skills,
    IReadOnlyCollection<string> Dialects, int Capacity, LawyerStatus Status, IReadOnlyCollection<string>? Conflicts = null);

/// <summary>A position in the queue, the estimated wait (null when no eligible lawyer is online) and the eligible lawyers online.</summary>
public sealed record QueuePosition(string ConsultationId, int Position, int? EstimatedWaitSeconds, int LawyersOnline = 0);

/// <summary>Something the grain must carry out after a routing decision.</summary>
public abstract record RoutingEffect;
/// <summary>Offer <paramref name="ConsultationId"/> to <paramref name="LawyerId"/> until <paramref name="ExpiresAt"/>.</summary>
public sealed record OfferMade(string ConsultationId, string LawyerId, DateTimeOffset ExpiresAt) : RoutingEffect;
/// <summary>Withdraw an offer from a lawyer.</summary>
public sealed record OfferWithdrawn(string ConsultationId, string LawyerId, OfferRevokeReason Reason) : RoutingEffect;
/// <summary>The lawyer accepted; the consultation is active with them.</summary>
public sealed record ConsultationAssigned(string ConsultationId, string LawyerId, double WaitedSeconds) : RoutingEffect;
/// <summary>The router changed a lawyer's status (an offer timed out: set away).</summary>
public sealed record LawyerStatusForced(string LawyerId, LawyerStatus Status) : RoutingEffect;
/// <summary>
/// A lawyer now has a conflict of interest with an active consultation of theirs (declared after it was assigned): the
/// consultation must go back to routing (the consultation grain requeues it; the conflict keeps it from this lawyer).
/// </summary>
public sealed record ActiveConsultationConflicted(string ConsultationId, string LawyerId) : RoutingEffect;
/// <summary>Queue positions or estimates changed for these consultations.</summary>
public sealed record QueuePositionsChanged(IReadOnlyList<QueuePosition> Positions) : RoutingEffect;

/// <summary>Stable error codes of routing commands.</summary>
public static class RoutingErrors
{
    public const string NotFound = "not_found";
    public const string NotOffered = "not_offered";
    public const string Conflict = "conflict";
    public const string Validation = "validation_failed";
}

/// <summary>Outcome of a routing command: effects to carry out, or an error code (and then nothing changed).</summary>
public sealed record RoutingResult(IReadOnlyList<RoutingEffect> Effects, string? ErrorCode = null, string? ErrorMessage = null)
{
    public static RoutingResult Fail(string code, string message) => new([], code, message);

    /// <summary>Success with no effect (shared: a result is immutable).</summary>
    public static RoutingResult None { get; } = new([]);
    public bool Succeeded => ErrorCode is null;
}
