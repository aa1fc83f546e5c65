using System.Text.Json.Serialization;
using Hotline.Abstractions;
using Hotline.Domain;

namespace Hotline.Grains;

/// <summary>
/// A routing command as the router's journal keeps it: its inputs, including the instant it ran at, so that replaying
/// the journal through <see cref="RoutingEngine"/> from the last snapshot rebuilds exactly the state the live router
/// had (the engine is deterministic; effects of a replay are dropped, they went out when the command ran).
/// Every command that changes the router's state is one of these: a new kind is a new record here.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$c")]
[JsonDerivedType(typeof(EnqueueCommand), "enqueue")]
[JsonDerivedType(typeof(UpsertLawyerCommand), "upsert")]
[JsonDerivedType(typeof(RequeueCommand), "requeue")]
[JsonDerivedType(typeof(ClaimCommand), "claim")]
[JsonDerivedType(typeof(AcceptCommand), "accept")]
[JsonDerivedType(typeof(DeclineCommand), "decline")]
[JsonDerivedType(typeof(ReleaseCommand), "release")]
[JsonDerivedType(typeof(RemoveCommand), "remove")]
[JsonDerivedType(typeof(LawyerDisconnectedCommand), "disconnected")]
[JsonDerivedType(typeof(TickCommand), "tick")]
[JsonDerivedType(typeof(RecoverCommand), "recover")]
public abstract record RouterCommand
{
    /// <summary>When the command ran (the engine's "now").</summary>
    public DateTimeOffset At { get; init; }

    /// <summary>Runs the command on the engine.</summary>
    public abstract RoutingResult Apply(RoutingEngine engine);
}

/// <summary>A consultation enters the queue, or (already active: transfer, lost lawyer) goes back keeping its age.</summary>
public sealed record EnqueueCommand(string ConsultationId, string Category, string Dialect, Channel Channel, int Priority, DateTimeOffset QueuedAt,
    string? PreferredLawyerId, string? ExcludeLawyerId, string? EmployerKey, string? Region = null) : RouterCommand
{
    /// <inheritdoc />
    public override RoutingResult Apply(RoutingEngine engine)
    {
        if (engine.State.ActiveEntries.ContainsKey(ConsultationId))
            return engine.Requeue(ConsultationId, Category, PreferredLawyerId, ExcludeLawyerId, At);
        var entry = new QueueEntry
        {
            ConsultationId = ConsultationId,
            Category = Category,
            Dialect = Dialect,
            Channel = Channel,
            Priority = Priority,
            QueuedAt = QueuedAt,
            PreferredLawyerId = PreferredLawyerId,
            EmployerKey = EmployerKey,
            Region = Region,
        };
        if (ExcludeLawyerId is not null) entry.Exclusions[ExcludeLawyerId] = At;
        return engine.Enqueue(entry, At);
    }
}

/// <summary>A lawyer's profile and status.</summary>
public sealed record UpsertLawyerCommand(string LawyerId, string DisplayName, IReadOnlyList<string> Skills, IReadOnlyList<string> Dialects, int Capacity,
    LawyerStatus Status, IReadOnlyList<string>? Conflicts) : RouterCommand
{
    /// <inheritdoc />
    public override RoutingResult Apply(RoutingEngine engine) =>
        engine.UpsertLawyer(new LawyerInfo(LawyerId, DisplayName, Skills, Dialects, Capacity, Status, Conflicts), At);
}

/// <summary>A consultation goes back to routing.</summary>
public sealed record RequeueCommand(string ConsultationId, string? NewCategory, string? PreferredLawyerId, string? ExcludeLawyerId) : RouterCommand
{
    /// <inheritdoc />
    public override RoutingResult Apply(RoutingEngine engine) => engine.Requeue(ConsultationId, NewCategory, PreferredLawyerId, ExcludeLawyerId, At);
}

/// <summary>A lawyer takes a waiting consultation.</summary>
public sealed record ClaimCommand(string ConsultationId, string LawyerId) : RouterCommand
{
    /// <summary>
    /// The claim respects the lawyer's exclusions in force (every claim since the build that added it). Claims older
    /// builds journaled lack it and replay as they ran then, so that a reload rebuilds the state the live router had.
    /// </summary>
    public bool RespectsExclusions { get; init; }

    /// <inheritdoc />
    public override RoutingResult Apply(RoutingEngine engine) => engine.Claim(ConsultationId, LawyerId, At, RespectsExclusions);
}

/// <summary>A lawyer accepts an offer.</summary>
public sealed record AcceptCommand(string ConsultationId, string LawyerId) : RouterCommand
{
    /// <inheritdoc />
    public override RoutingResult Apply(RoutingEngine engine) => engine.Accept(ConsultationId, LawyerId, At);
}

/// <summary>A lawyer declines an offer.</summary>
public sealed record DeclineCommand(string ConsultationId, string LawyerId) : RouterCommand
{
    /// <inheritdoc />
    public override RoutingResult Apply(RoutingEngine engine)
    {
        // The engine emits nothing for the decliner (they know), but the consultation grain still thinks the offer is open
        // to them: withdraw it first, so the consultation reads "queued" again unless the next offer follows.
        var result = engine.Decline(ConsultationId, LawyerId, At);
        return result.Succeeded
            ? result with { Effects = [new OfferWithdrawn(ConsultationId, LawyerId, OfferRevokeReason.Cancelled), .. result.Effects] }
            : result;
    }
}

/// <summary>An active consultation closed.</summary>
public sealed record ReleaseCommand(string ConsultationId, double? HandleSeconds) : RouterCommand
{
    /// <inheritdoc />
    public override RoutingResult Apply(RoutingEngine engine) => engine.Release(ConsultationId, At, HandleSeconds);
}

/// <summary>A waiting consultation left (abandoned).</summary>
public sealed record RemoveCommand(string ConsultationId) : RouterCommand
{
    /// <inheritdoc />
    public override RoutingResult Apply(RoutingEngine engine) => engine.Remove(ConsultationId, At);
}

/// <summary>A lawyer's last connection closed.</summary>
public sealed record LawyerDisconnectedCommand(string LawyerId) : RouterCommand
{
    /// <inheritdoc />
    public override RoutingResult Apply(RoutingEngine engine) => engine.LawyerDisconnected(LawyerId, At);
}

/// <summary>Deadlines: offers that timed out, widening steps.</summary>
public sealed record TickCommand : RouterCommand
{
    /// <inheritdoc />
    public override RoutingResult Apply(RoutingEngine engine) => engine.Tick(At);
}

/// <summary>A fresh activation catching up on deadlines that passed while none existed.</summary>
public sealed record RecoverCommand : RouterCommand
{
    /// <inheritdoc />
    public override RoutingResult Apply(RoutingEngine engine) => engine.Recover(At);
}

/// <summary>One group commit of the router: the commands applied since the previous one, in order.</summary>
public sealed record RouterBatch(IReadOnlyList<RouterCommand> Commands);
