namespace Hotline.Abstractions;

// The events of the contract, one typed method each: the method name is the SignalR event name and its single
// argument the payload. Hubs are Hub<IWorkerClient> / Hub<ILawyerClient> / Hub<IAdminClient>, and grains push through
// IClientNotifier, so an event is declared once here and checked by the compiler on both sides.
//
// To add an event: add a method to the client interface(s) of the audience (payload: a [GenerateSerializer] record
// in Events.cs), call it from the grain through IClientNotifier, and add it to the contract and the page that shows it.

/// <summary>Events to both participants of a consultation (worker and lawyer).</summary>
public interface IConsultationClient
{
    /// <summary>
    /// <c>Message</c>: a message was stored, or (early delivery, <c>Hotline:Messages:EarlyDelivery</c>) is being stored:
    /// a message that then fails to commit is followed by <see cref="MessageWithdrawn"/>. A later <c>Message</c> with the
    /// same seq and another clientMessageId replaces it.
    /// </summary>
    Task Message(MessageView message);

    /// <summary><c>MessageWithdrawn</c>: the message pushed early at this seq was not stored (its write failed).</summary>
    Task MessageWithdrawn(MessageWithdrawnEvent withdrawn);

    /// <summary><c>Typing</c>: the other side is typing.</summary>
    Task Typing(TypingEvent typing);

    /// <summary><c>StatusChanged</c>: the consultation changed status.</summary>
    Task StatusChanged(StatusChangedEvent status);

    /// <summary><c>Assigned</c>: a lawyer took the consultation.</summary>
    Task Assigned(AssignedEvent assigned);
}

/// <summary>Events to a worker's connections (<c>/hubs/worker</c>).</summary>
public interface IWorkerClient : IConsultationClient
{
    /// <summary><c>QueueUpdate</c>: position and estimated wait while queued.</summary>
    Task QueueUpdate(QueueUpdateEvent update);
}

/// <summary>Events to a lawyer's connections (<c>/hubs/lawyer</c>).</summary>
public interface ILawyerClient : IConsultationClient
{
    /// <summary><c>Offer</c>: a consultation is offered to this lawyer.</summary>
    Task Offer(OfferEvent offer);

    /// <summary><c>OfferRevoked</c>: an open offer ended (timeout, taken, cancelled).</summary>
    Task OfferRevoked(OfferRevokedEvent revoked);

    /// <summary><c>LawyerStatus</c>: the platform changed the lawyer's status (e.g. away after a missed offer).</summary>
    Task LawyerStatus(LawyerView lawyer);
}

/// <summary>Events to admins (<c>/hubs/admin</c>).</summary>
public interface IAdminClient
{
    /// <summary><c>Metrics</c>: the live snapshot, about once a second.</summary>
    Task Metrics(MetricsSnapshot metrics);

    /// <summary><c>Alert</c>: a collective-dispute alert opened or changed (grew, acknowledged, closed).</summary>
    Task Alert(AlertView alert);
}

/// <summary>
/// Pushes events to connected clients wherever they are connected: users are addressed by id, so every connection of
/// a participant gets the event (the web host implements it over SignalR).
/// </summary>
public interface IClientNotifier
{
    /// <summary>Every connection of this worker.</summary>
    IWorkerClient Worker(string workerId);

    /// <summary>Every connection of this lawyer.</summary>
    ILawyerClient Lawyer(string lawyerId);

    /// <summary>
    /// Every connection of this worker but <paramref name="connectionId"/>: the sender's copy of its own message, for a
    /// connection that files its own messages from the acks (hub query <c>echo=false</c>). Where the push layer cannot
    /// exclude one connection (the Redis backplane), every connection gets it; clients drop it by (seq, clientMessageId).
    /// </summary>
    IWorkerClient WorkerExcept(string workerId, string connectionId) => Worker(workerId);

    /// <summary>Every connection of this lawyer but <paramref name="connectionId"/> (see <see cref="WorkerExcept"/>).</summary>
    ILawyerClient LawyerExcept(string lawyerId, string connectionId) => Lawyer(lawyerId);

    /// <summary>Every admin connection.</summary>
    IAdminClient Admins { get; }

    /// <summary>False while pushes sent from this process cannot reach the others (cluster mode: the Redis backplane does
    /// not carry events). A new chat message answers <c>unavailable</c> then, rather than being stored with its push lost;
    /// other writes (accept, close, transfer) rely on the refusal of the silo that received the call, and their
    /// participants read the state when they join again.</summary>
    bool CanPush => true;
}
