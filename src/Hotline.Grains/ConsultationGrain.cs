using System.Runtime.ExceptionServices;
using Hotline.Abstractions;
using Hotline.Domain;
using Hotline.Domain.Privacy;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hotline.Grains;

/// <summary>Durable state of one consultation. Messages live in the append-only message table, not here.</summary>
/// <remarks>Its lifecycle fields change only through <see cref="ConsultationLifecycle"/> (Hotline.Domain).</remarks>
public sealed class ConsultationState : IConsultationLifecycle
{
    public string Id { get; set; } = "";
    public string WorkerId { get; set; } = "";
    public string? WorkerName { get; set; }
    public string Category { get; set; } = "";
    public string Dialect { get; set; } = "";
    public Channel Channel { get; set; }
    public string Summary { get; set; } = "";
    public string? CallerNumber { get; set; }
    public ConsultationStatus Status { get; set; }
    public int Priority { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>First entry into the queue: keeps its age across transfers and lost lawyers.</summary>
    public DateTimeOffset QueuedAt { get; set; }
    public string? OfferedTo { get; set; }
    public DateTimeOffset? OfferExpiresAt { get; set; }
    public string? AssignedLawyerId { get; set; }
    public string? AssignedLawyerName { get; set; }
    public DateTimeOffset? AcceptedAt { get; set; }
    public List<string> LawyersInvolved { get; set; } = [];
    public DateTimeOffset? ClosedAt { get; set; }
    public Resolution? Resolution { get; set; }
    public int? Rating { get; set; }
    public string? Comment { get; set; }
    public string? LawyerSummary { get; set; }
    public List<NoteView> Notes { get; set; } = [];
    public int? QueuePosition { get; set; }
    public int? EstimatedWaitSeconds { get; set; }
    public int? LawyersOnline { get; set; }
    /// <summary>A phone caller who asked to be called back instead of holding.</summary>
    public bool Callback { get; set; }
    /// <summary>The lawyer's advice to the worker at close.</summary>
    public string? Advice { get; set; }
    /// <summary>Call-back attempts of the assigned lawyers on a phone consultation.</summary>
    public List<CallAttemptView> CallAttempts { get; set; } = [];
    /// <summary>Need-to-know: each lawyer's standing (offered, assigned, left at seq n, or nothing).</summary>
    public List<LawyerRecord> Access { get; set; } = [];
    /// <summary>Admins' unexpired transcript grants.</summary>
    public List<AdminGrant> AdminGrants { get; set; } = [];
    /// <summary>Texts and personal fields were erased (worker erase or retention purge).</summary>
    public DateTimeOffset? ErasedAt { get; set; }
    /// <summary>The employer as the worker wrote it, its normalised key (<see cref="EmployerName.Key"/>) and the region.</summary>
    public string? Employer { get; set; }
    public string? EmployerKey { get; set; }
    public string? Region { get; set; }
}

/// <summary>
/// One consultation: the single writer of its messages (so <c>seq</c> has no gaps), the guard of who may see it,
/// and the source of its participants' events. Calls the router and awaits it; the router only calls back one-way.
/// </summary>
public sealed class ConsultationGrain(
    [PersistentState("consultation", StorageNames.Hotline)] IPersistentState<ConsultationState> state,
    IMessageStore messages,
    IClientNotifier notifier,
    IOptions<HotlineLimits> limits,
    IOptions<MessageOptions> messageOptions,
    IOptions<GrainOptions> grainOptions,
    TimeProvider time,
    ILogger<ConsultationGrain> logger) : Grain, IConsultationGrain
{
    private ConsultationState S => state.State;
    /// <summary>When the gateway last polled this call, in this activation (or the activation's start: a poll of the
    /// previous one is not known, so the silence is counted from here).</summary>
    private DateTimeOffset _gatewaySeen = time.GetUtcNow();
    private long? _lastSeq;
    /// <summary>
    /// (sender, clientMessageId) -> the stored original's seq and instant, loaded once per activation so that a send costs
    /// one write, no read. Not the whole message: a resend is answered with these two, and holding every text of a long
    /// chat kept it all alive on the heap for the activation's life (each collection promoted and traced it again).
    /// </summary>
    private Dictionary<(string SenderId, string ClientMessageId), SentMessage>? _sent;

    /// <summary>What a resend of a stored message is answered with.</summary>
    private readonly record struct SentMessage(long Seq, DateTimeOffset SentAt);
    private OrderedPushes? _pushes;
    /// <summary>
    /// A message whose write failed (withdrawn if it was pushed early): if a re-read finds it stored after all, it is pushed
    /// (again).
    /// </summary>
    private MessageView? _withdrawn;
    /// <summary>
    /// The offer this activation last showed its lawyer. The same offer can be told twice: the reconciliation reads the
    /// router's offer while the router's own one-way call waits behind it (and records it first). Its lawyer is shown it
    /// once; only a new router activation shows it again (<see cref="ShowOfferAgain"/>).
    /// </summary>
    private (string LawyerId, DateTimeOffset ExpiresAt)? _offerShown;
    /// <summary>Re-reads the tail while a withdrawn message's fate is unknown (the store did not answer).</summary>
    private IGrainTimer? _recheck;

    private IRouterGrain Router => GrainFactory.GetGrain<IRouterGrain>(GrainKeys.Hotline);
    private CrashPoints? Crash => ServiceProvider.GetService(typeof(CrashPoints)) as CrashPoints;
    private IStatisticsGrain Statistics => GrainFactory.GetGrain<IStatisticsGrain>(GrainKeys.Hotline);
    private ICollectiveGrain Collective => GrainFactory.GetGrain<ICollectiveGrain>(GrainKeys.Hotline);

    public async Task<ConsultationView> Open(OpenConsultation command)
    {
        if (state.RecordExists)
        {
            // The same request again: the endpoint picks a new id for each one, so this is its retry after an answer lost
            // with a silo (or a failure after the write). It answers the consultation the first attempt opened, listed
            // for its worker (idempotent). Its arrival is not counted again: an attempt that failed after its write and
            // before the count leaves the statistics one short, never double. Before, the retry answered a conflict, and
            // a phone gateway got no id for a call that was queued all the same.
            if (S.WorkerId != command.WorkerId) throw Guard.Conflict("consultation already exists");
            await GrainFactory.GetGrain<IWorkerGrain>(command.WorkerId).AddConsultation(S.Id);
            return await GetView();
        }
        var now = time.GetUtcNow();
        state.State = new ConsultationState
        {
            Id = this.GetPrimaryKeyString(),
            WorkerId = command.WorkerId,
            WorkerName = command.WorkerName,
            Category = command.Category,
            Dialect = command.Dialect,
            Channel = command.Channel,
            Summary = command.Summary,
            CallerNumber = command.CallerNumber,
            Callback = command.Callback && command.Channel == Channel.Phone,
            Employer = EmployerName.Display(command.Employer),
            // The worker's region stands for the place when the name gives none (docs/employer-names.md).
            EmployerKey = EmployerName.Key(command.Employer, command.Region),
            Region = command.Region,
            Priority = command.Priority,
            CreatedAt = now,
        };
        ConsultationLifecycle.Open(S, now);
        // Router first, then the consultation's own write: a crash in between leaves an entry the router holds for a
        // consultation that does not exist, which the reconciliation removes (an offer it makes meanwhile waits behind
        // this call and is ignored). The other order would strand a queued consultation the router never heard of.
        await Router.Enqueue(S.Id, S.Category, S.Dialect, S.Channel, S.Priority, S.QueuedAt, null, null, S.EmployerKey, S.Region);
        Crash?.At("open");
        await state.WriteStateAsync();
        _lastSeq = 0;
        _sent = [];
        try
        {
            await GrainFactory.GetGrain<IWorkerGrain>(command.WorkerId).AddConsultation(S.Id);
        }
        catch (HotlineException e) when (e.Code == HotlineException.Codes.Forbidden)
        {
            // The worker erased themselves while this was opened (a token is trusted up to the revocation cache's
            // seconds): nobody may read it, so it ends abandoned and erased at once, as their other consultations did. The
            // worker now lists it under its erase, whose reminder finishes this if it fails here; the refusal stands.
            try
            {
                await Erase(command.WorkerId);
            }
            catch (Exception x)
            {
                logger.LogWarning(x, "Consultation {Id} of an erased worker could not be erased at once; the worker's erase reminder will", S.Id);
            }
            try
            {
                await Statistics.RecordArrival(S.Category, now, S.Region); // it arrived, and was counted abandoned above
            }
            catch (Exception x)
            {
                logger.LogWarning(x, "Consultation {Id}: its arrival could not be counted", S.Id);
            }
            throw;
        }
        await Statistics.RecordArrival(S.Category, now, S.Region);
        if (S.EmployerKey is { } key)
            await Collective.Record(new EmployerMentioned { ConsultationId = S.Id, WorkerId = S.WorkerId, EmployerKey = key, Employer = S.Employer!, Region = S.Region, At = now });
        return await GetView();
    }

    public Task<ConsultationView> GetView() => View(null);


    public async Task<ConsultationView> GetViewWithRelated() => await WithRelated(await GetView());

    /// <summary>The view plus <see cref="ConsultationView.RelatedCount"/>: for the assigned lawyer and admins only.</summary>
    private async Task<ConsultationView> WithRelated(ConsultationView view) =>
        S.EmployerKey is { } key ? view with { RelatedCount = await Collective.RelatedCount(key, S.Id) } : view;

    private Task<ConsultationView> ViewFor(Caller caller, ConsultationView view) =>
        caller.Role == ParticipantRole.Lawyer && caller.Id == S.AssignedLawyerId || caller.Role is ParticipantRole.System or ParticipantRole.Admin
            ? WithRelated(view) : Task.FromResult(view);

    /// <summary>The view; the caller's number only for the lawyer the phone call is assigned to, while it is active.</summary>
    private async Task<ConsultationView> View(Caller? caller)
    {
        EnsureExists();
        var waiting = S.Status is ConsultationStatus.Queued or ConsultationStatus.Offered;
        var assignedToCaller = caller is { Role: ParticipantRole.Lawyer } && caller.Id == S.AssignedLawyerId && S.Status == ConsultationStatus.Active;
        return new ConsultationView
        {
            Id = S.Id,
            WorkerId = S.WorkerId,
            WorkerName = S.WorkerName,
            Category = S.Category,
            Dialect = S.Dialect,
            Channel = S.Channel,
            Summary = S.Summary,
            Status = S.Status,
            Priority = S.Priority,
            CreatedAt = S.CreatedAt,
            AssignedLawyerId = S.AssignedLawyerId,
            AssignedLawyerName = S.AssignedLawyerName,
            QueuePosition = waiting ? S.QueuePosition : null,
            EstimatedWaitSeconds = waiting ? S.EstimatedWaitSeconds : null,
            LawyersOnline = waiting ? S.LawyersOnline : null,
            LastSeq = await LastSeq(),
            ClosedAt = S.ClosedAt,
            Resolution = S.Resolution,
            Rating = S.Rating,
            CallbackNumber = assignedToCaller && S.Channel == Channel.Phone ? S.CallerNumber : null,
            Advice = S.Advice,
            Callback = S.Callback,
            CallAttempts = S.Channel == Channel.Phone && caller?.Role != ParticipantRole.Worker ? S.CallAttempts.ToList() : null,
            Employer = S.Employer,
            Region = S.Region,
        };
    }

    public Task<ConsultationAccess> GetAccess() => Task.FromResult(state.RecordExists
        ? new ConsultationAccess
        {
            Exists = true,
            WorkerId = S.WorkerId,
            AssignedLawyerId = S.AssignedLawyerId,
            LawyersInvolved = S.LawyersInvolved.ToList(),
            Status = S.Status,
        }
        : new ConsultationAccess { Exists = false });

    public async Task<JoinResult> Join(Caller caller, long afterSeq)
    {
        var access = EnsureCanRead(caller);
        if (afterSeq < 0) throw Guard.Validation("afterSeq must not be negative");
        // An offered lawyer sees the view only; a lawyer it left reads up to the moment it left them.
        IReadOnlyList<MessageView> missed = [];
        if (access.Messages && afterSeq < (access.MessagesUpToSeq ?? long.MaxValue))
        {
            missed = Cap(await ReadAll(afterSeq), access);
            if (missed.Count > 0) await AuditRead(caller, access);
        }
        return new JoinResult { Consultation = await ViewFor(caller, await View(caller)), Missed = missed };
    }

    public async Task<ConsultationView?> ViewAs(Caller caller)
    {
        if (!state.RecordExists || !Decide(caller).View) return null;
        return await ViewFor(caller, await View(caller));
    }

    public async Task<AccessGrantView> GrantAdminAccess(string adminId, string reason)
    {
        EnsureExists();
        var now = time.GetUtcNow();
        var until = ConsultationAccessPolicy.Grant(S.AdminGrants, adminId, now);
        await state.WriteStateAsync();
        await AuditLog.Write(GrainFactory, new AuditEntry { At = now, ActorId = adminId, ActorRole = "admin", Action = AuditActions.AccessGranted, ConsultationId = S.Id, Reason = reason });
        return new AccessGrantView(S.Id, until);
    }

    public async Task Decline(Caller lawyer)
    {
        EnsureExists();
        if (lawyer.Role != ParticipantRole.Lawyer) throw Guard.Forbidden("only lawyers decline offers");
        var error = await Router.Decline(S.Id, lawyer.Id);
        if (error is not null) throw Guard.Conflict("no offer of this consultation is open to you");
        // Declining ends the lawyer's view at once (need-to-know).
        ConsultationAccessPolicy.OfferEnded(S.Access, lawyer.Id);
        // The router also sends OnOfferWithdrawn (one-way); recording it here makes the view right when this call returns.
        ConsultationLifecycle.WithdrawOffer(S, lawyer.Id);
        await state.WriteStateAsync();
    }

    public async Task<JoinResult> Accept(Caller lawyer)
    {
        EnsureExists();
        if (lawyer.Role != ParticipantRole.Lawyer) throw Guard.Forbidden("only lawyers accept offers");
        if (S.Status == ConsultationStatus.Active && S.AssignedLawyerId == lawyer.Id) return await Join(lawyer, 0);
        var error = await Router.Accept(S.Id, lawyer.Id);
        if (error == RoutingErrors.NotOffered)
            throw S.LawyersInvolved.Contains(lawyer.Id) ? Guard.Conflict("the offer is no longer yours") : Guard.Forbidden("the offer is not yours");
        if (error is not null) throw Guard.Conflict("consultation is no longer waiting");
        Crash?.At("accept");
        await OnAssigned(lawyer.Id, lawyer.Name, (time.GetUtcNow() - S.QueuedAt).TotalSeconds);
        return await Join(lawyer, 0);
    }

    public async Task<JoinResult> Claim(Caller lawyer)
    {
        EnsureExists();
        if (lawyer.Role != ParticipantRole.Lawyer) throw Guard.Forbidden("only lawyers take consultations");
        if (S.Status == ConsultationStatus.Active && S.AssignedLawyerId == lawyer.Id) return await Join(lawyer, 0);
        if (S.Status is not (ConsultationStatus.Queued or ConsultationStatus.Offered)) throw Guard.Conflict($"consultation is {Wire(S.Status)}");
        // Router first, as an accept: the router decides eligibility and capacity, then the consultation records it.
        var error = await Router.Claim(S.Id, lawyer.Id);
        if (error is not null) throw Guard.Conflict("you cannot take this consultation now (not eligible, or no free capacity)");
        Crash?.At("accept");
        await OnAssigned(lawyer.Id, lawyer.Name, (time.GetUtcNow() - S.QueuedAt).TotalSeconds);
        return await Join(lawyer, 0);
    }

    public async Task<ConsultationView> AdminRequeue(string? toLawyerId)
    {
        EnsureExists();
        if (toLawyerId is not null && await GrainFactory.GetGrain<ILawyerGrain>(Guard.Id(toLawyerId, "toLawyerId")).GetProfile() is null) throw Guard.NotFound("unknown lawyer");
        if (ConsultationStateMachine.IsTerminal(S.Status)) throw Guard.Conflict($"consultation is {Wire(S.Status)}");
        var previous = S.AssignedLawyerId;
        // Router first (an offer is revoked, an active lawyer freed, the age kept), then the consultation: as a transfer.
        var error = await Router.Requeue(S.Id, null, toLawyerId, null);
        if (error == RoutingErrors.NotFound)
            await Router.Enqueue(S.Id, S.Category, S.Dialect, S.Channel, S.Priority, S.QueuedAt, toLawyerId, null, S.EmployerKey, S.Region); // the router had lost it
        else if (error is not null)
            throw Guard.Conflict("the router refused to requeue it");
        Crash?.At("requeue");
        await MarkQueued();
        if (previous is not null) await GrainFactory.GetGrain<ILawyerGrain>(previous).OnActiveChanged(S.Id, false);
        return await GetView();
    }

    // The metric's tag per sender role, made once (formatting the enum allocated two strings per message).
    private static readonly KeyValuePair<string, object?> WorkerMessageTag = new("role", "worker"), LawyerMessageTag = new("role", "lawyer");

    public async Task<MessageAck> SendMessage(Caller caller, string clientMessageId, string text, string? exceptConnection = null)
    {
        MessageStageLog.Mark(MessageStageLog.Grain, clientMessageId);
        EnsureExists();
        Guard.Id(clientMessageId, "clientMessageId");
        Guard.Text(text, limits.Value.MaxMessageLength, "text");
        EnsureCanWrite(caller);

        // A repeated clientMessageId of the same sender stores nothing new and answers with the original seq, even after
        // close. Ids are the sender's own: the worker and a lawyer may pick the same one for different messages.
        var sent = await Sent();
        if (sent.TryGetValue((caller.Id, clientMessageId), out var existing)) return new MessageAck { Seq = existing.Seq, SentAt = existing.SentAt, Duplicate = true };
        if (ConsultationStateMachine.IsTerminal(S.Status)) throw Guard.Conflict($"consultation is {Wire(S.Status)}");
        // Checked here, where the pushes start: the silo that took the call may see the backplane back before this one.
        if (!notifier.CanPush) throw Guard.Unavailable("the message bus (Redis) does not answer, try again");

        var seq = await LastSeq() + 1;
        // As the store keeps it: an early push carries the instant the ack and a later read will show.
        var message = new StoredMessage(S.Id, seq, caller.Role, caller.Id, caller.Name, text, StoredMessage.StoredInstant(time.GetUtcNow()), clientMessageId);
        // Early delivery: the participants get the message while its durable write runs, so the commit's fsync is not
        // in the delivery latency; the sender is still acked only after the write, and a write that fails withdraws it.
        // Pushes keep seq order (OrderedPushes), and the next message gets a seq only after this one is stored.
        var early = messageOptions.Value.EarlyDelivery ? ToView(message) : null;
        if (early is not null) _ = Publish(c => c.Message(early), lawyerFirst: caller.Role != ParticipantRole.Lawyer, SenderCopy(caller, exceptConnection), stagesOf: clientMessageId);
        AppendOutcome outcome;
        try
        {
            outcome = await messages.AppendAsync(message);
            MessageStageLog.Mark(MessageStageLog.Stored, clientMessageId);
        }
        catch (Exception failure)
        {
            // The insert may have committed with its answer lost: ask the store before anyone is told it failed. Found, it
            // is a success (acked, the early push stands); not found, it was never stored; unknown (the store went away
            // too), the push is withdrawn and a re-read of the tail, retried until the store answers, pushes it again.
            var (stored, known) = await FindStored(caller.Id, clientMessageId);
            if (stored is null)
            {
                _lastSeq = null;
                _sent = null;
                if (early is not null) Withdraw(early);
                // Without early delivery nothing was pushed: a message found stored later is pushed then, all the same.
                if (!known) Recheck(early ?? ToView(message));
                ExceptionDispatchInfo.Throw(failure);
            }
            outcome = new AppendOutcome(stored, Duplicate: stored.Seq != seq);
        }
        // Stored at the seq this send took: every seq up to it is known here. Otherwise it is a duplicate only the store
        // knew of (this activation's caches were stale), found at another seq, and messages this activation never read may
        // lie before it: re-read the tail before the next append, with or without early delivery (moving _lastSeq past
        // them would let a resend of one of them take a free seq and be stored twice). An early push of the tried seq holds
        // something else: it is withdrawn; the stored message is pushed and acked as before.
        var storedAsSent = outcome.Message.Seq == seq && outcome.Message.ClientMessageId == clientMessageId;
        var pushedAsStored = early is not null && storedAsSent;
        if (!storedAsSent)
        {
            if (early is not null) Withdraw(early);
            _lastSeq = null;
            _sent = null;
        }
        else
        {
            _lastSeq = outcome.Message.Seq;
            sent[(outcome.Message.SenderId, outcome.Message.ClientMessageId)] = new SentMessage(outcome.Message.Seq, outcome.Message.SentAt);
        }
        HotlineMeter.Messages.Add(1, caller.Role == ParticipantRole.Lawyer ? LawyerMessageTag : WorkerMessageTag);
        // The ack answers "durably stored". Without early delivery the pushes follow it, in seq order, without the sender
        // waiting for them.
        if (!pushedAsStored)
        {
            var view = ToView(outcome.Message);
            // Without early delivery this is the sender's own message, which its connection files from the ack; after a
            // withdrawal it may be another, which every connection must get.
            var own = early is null && view.SenderId == caller.Id && view.ClientMessageId == clientMessageId;
            _ = Publish(c => c.Message(view), lawyerFirst: caller.Role != ParticipantRole.Lawyer, own ? SenderCopy(caller, exceptConnection) : null, stagesOf: clientMessageId);
        }
        if (caller.Role == ParticipantRole.Lawyer) NotifyWorkerByPush(WorkerNoticeKind.Message);
        return new MessageAck { Seq = outcome.Message.Seq, SentAt = outcome.Message.SentAt, Duplicate = outcome.Duplicate };
    }

    /// <summary>
    /// Withdraws an early <c>Message</c> push whose write failed, after it in the same order. Kept so that a re-read
    /// that finds it stored after all (a commit whose answer was lost) pushes it again.
    /// </summary>
    private void Withdraw(MessageView early)
    {
        _withdrawn = early;
        _ = Publish(c => c.MessageWithdrawn(new MessageWithdrawnEvent(early.ConsultationId, early.Seq, early.ClientMessageId)));
    }

    /// <summary>
    /// Whether <paramref name="message"/> was stored is unknown (the store did not answer the look-up either): re-read the
    /// tail until it answers, and push the message if it is there, instead of waiting for the sender's next message. The
    /// timer and the message live in memory only: if this activation is collected first, participants read it on a join.
    /// </summary>
    private void Recheck(MessageView message)
    {
        _withdrawn = message;
        _recheck ??= this.RegisterGrainTimer(RecheckWithdrawn, new GrainTimerCreationOptions { DueTime = RecheckEvery, Period = RecheckEvery });
    }

    private static readonly TimeSpan RecheckEvery = TimeSpan.FromSeconds(1);

    /// <summary>How long a failed append's look-up may take: the recheck covers a store that does not answer.</summary>
    private static readonly TimeSpan LookupLimit = TimeSpan.FromSeconds(2);

    /// <summary>Re-reads the tail (which pushes a withdrawn message found stored) until the store answers once.</summary>
    private async Task RecheckWithdrawn()
    {
        try
        {
            await Sent();
        }
        catch (Exception e)
        {
            logger.LogDebug(e, "The message store still does not answer; the withdrawn message is checked again");
            return;
        }
        _recheck?.Dispose();
        _recheck = null;
    }

    /// <summary>The sender's message with this clientMessageId as stored, and whether the store could be asked at all.</summary>
    private async Task<(StoredMessage? Stored, bool Known)> FindStored(string senderId, string clientMessageId)
    {
        try
        {
            using var limit = new CancellationTokenSource(LookupLimit);
            return (await messages.FindByClientMessageIdAsync(S.Id, senderId, clientMessageId, limit.Token), true);
        }
        catch (Exception e)
        {
            logger.LogDebug(e, "Could not ask the message store whether a failed write was stored");
            return (null, false);
        }
    }

    public async Task<IReadOnlyList<MessageView>> GetMessages(Caller caller, long afterSeq, int limit)
    {
        var access = EnsureCanRead(caller);
        if (!access.Messages) throw Guard.Forbidden(caller.Role == ParticipantRole.Admin ? "no access grant for this transcript" : "not assigned to you");
        if (afterSeq < 0) throw Guard.Validation("afterSeq must not be negative");
        if (limit is < 1 or > 1000) throw Guard.Validation("limit must be between 1 and 1000");
        var rows = Cap((await messages.ReadAsync(S.Id, afterSeq, limit)).Select(ToView).ToList(), access);
        await AuditRead(caller, access);
        return rows;
    }

    /// <summary>Messages a lawyer may still read after it left them: up to that moment only.</summary>
    private static IReadOnlyList<MessageView> Cap(IReadOnlyList<MessageView> rows, AccessDecision access)
        => access.MessagesUpToSeq is { } upTo ? rows.Where(m => m.Seq <= upTo).ToList() : rows;

    private Task AuditRead(Caller caller, AccessDecision access, bool notes = false)
    {
        if (!(notes ? access.AuditNotes : access.AuditTranscript)) return Task.CompletedTask;
        return AuditLog.Write(GrainFactory, new AuditEntry
        {
            At = time.GetUtcNow(),
            ActorId = caller.Id,
            ActorRole = caller.Role == ParticipantRole.Admin ? "admin" : "lawyer",
            Action = notes ? AuditActions.ReadNotes : AuditActions.ReadTranscript,
            ConsultationId = S.Id,
        });
    }

    public async Task Typing(Caller caller)
    {
        EnsureCanWrite(caller);
        var typing = new TypingEvent(S.Id, caller.Role);
        if (caller.Role == ParticipantRole.Worker && S.AssignedLawyerId is { } lawyer) await Push(() => notifier.Lawyer(lawyer).Typing(typing));
        if (caller.Role == ParticipantRole.Lawyer) await Push(() => notifier.Worker(S.WorkerId).Typing(typing));
    }

    public async Task<ConsultationView> CloseByWorker(Caller caller, int? rating, string? comment)
    {
        EnsureExists();
        if (caller.Role != ParticipantRole.Worker || caller.Id != S.WorkerId) throw Guard.Forbidden("not a participant");
        if (rating is { } r && (r < 1 || r > 5)) throw Guard.Validation("rating must be between 1 and 5");
        Guard.OptionalText(comment, limits.Value.MaxCommentLength, "comment");
        if (ConsultationStateMachine.IsTerminal(S.Status))
        {
            // Rating a consultation the lawyer already closed is allowed once.
            if (S.Status == ConsultationStatus.Closed && S.Rating is null && rating is { } late) return await Rate(caller, late, comment);
            throw Guard.Conflict($"consultation is {Wire(S.Status)}");
        }

        var now = time.GetUtcNow();
        if (S.Status == ConsultationStatus.Active)
        {
            await Finish(now, rating, comment, null, null);
            if (rating is { } given) await Statistics.RecordRated(S.Category, given, now);
        }
        else
        {
            // Leaving the queue is not a consultation that happened: no rating is kept for it.
            await Abandon(now);
        }
        return await GetView();
    }

    /// <summary>A waiting consultation leaves the queue unanswered: never offered again.</summary>
    private async Task Abandon(DateTimeOffset now)
    {
        // Finish writes the consultation first, then removes it from the router (see "One truth").
        await Finish(now, null, null, null, null);
        await Statistics.RecordAbandoned(S.Category, (now - S.QueuedAt).TotalSeconds, now, S.Region);
    }

    public async Task<ConsultationView> Rate(Caller caller, int rating, string? comment)
    {
        EnsureExists();
        if (caller.Role != ParticipantRole.Worker || caller.Id != S.WorkerId) throw Guard.Forbidden("not a participant");
        if (rating is < 1 or > 5) throw Guard.Validation("rating must be between 1 and 5");
        // As every text field: length, and no control or bidi-override characters (before, only the length was checked).
        comment = Guard.OptionalText(comment, limits.Value.MaxCommentLength, "comment");
        if (S.Status != ConsultationStatus.Closed) throw Guard.Conflict($"consultation is {Wire(S.Status)}, not closed");
        if (S.Rating is not null) throw Guard.Conflict("consultation is rated already");
        S.Rating = rating;
        S.Comment = comment;
        await state.WriteStateAsync();
        await Statistics.RecordRated(S.Category, rating, time.GetUtcNow());
        return await GetView();
    }

    public async Task<ConsultationView> CloseByLawyer(Caller caller, Resolution resolution, string? summary, string? adviceToWorker)
    {
        EnsureAssigned(caller);
        Guard.OptionalText(summary, limits.Value.MaxCloseTextLength, "summary");
        Guard.OptionalText(adviceToWorker, limits.Value.MaxCloseTextLength, "adviceToWorker");
        if (!Enum.IsDefined(resolution)) throw Guard.Validation("unknown resolution");
        S.Advice = string.IsNullOrWhiteSpace(adviceToWorker) ? null : adviceToWorker.Trim();
        await Finish(time.GetUtcNow(), null, null, resolution, summary);
        return await View(caller);
    }

    public async Task<PhoneCallStatus> GetCallStatus()
    {
        EnsurePhoneCall();
        _gatewaySeen = time.GetUtcNow();
        var live = S.Status is ConsultationStatus.Queued ? await Router.GetPosition(S.Id) : null;
        return new PhoneCallStatus
        {
            ConsultationId = S.Id,
            Status = S.Status,
            QueuePosition = S.Status is ConsultationStatus.Queued or ConsultationStatus.Offered ? live?.Position ?? S.QueuePosition : null,
            EstimatedWaitSeconds = S.Status == ConsultationStatus.Offered ? 0 : live is null ? null : live.EstimatedWaitSeconds,
            AssignedLawyerId = S.AssignedLawyerId,
            AssignedLawyerName = S.AssignedLawyerName,
            Callback = S.Callback,
            LawyersOnline = S.Status == ConsultationStatus.Offered ? Math.Max(1, live?.LawyersOnline ?? 1) : live?.LawyersOnline ?? 0,
        };
    }

    public async Task<ConsultationView> Hangup(bool callback)
    {
        EnsurePhoneCall();
        if (S.Status is ConsultationStatus.Queued or ConsultationStatus.Offered)
        {
            if (callback)
            {
                // The caller keeps their place and is called back by the lawyer who takes it.
                if (!S.Callback)
                {
                    S.Callback = true;
                    await state.WriteStateAsync();
                }
            }
            else
            {
                await Abandon(time.GetUtcNow());
            }
        }
        else if (S.Status == ConsultationStatus.Active && !S.Callback)
        {
            // An active call stays with its lawyer (who records the outcome and closes it). The caller is off the line now:
            // should it go back to the queue (the lawyer's connection lost, a transfer), the next lawyer calls back.
            // Before, it went back as a live call that nobody would ever bridge.
            S.Callback = true;
            await state.WriteStateAsync();
        }
        // A finished one stays finished.
        return await GetView();
    }

    public async Task<ConsultationView> RecordCallAttempt(Caller caller, CallOutcome outcome)
    {
        EnsureAssigned(caller);
        if (S.Channel != Channel.Phone) throw Guard.Validation("not a phone consultation");
        if (!Enum.IsDefined(outcome)) throw Guard.Validation("unknown outcome");
        if (S.CallAttempts.Count >= 50) throw Guard.Conflict("too many call attempts recorded");
        S.CallAttempts.Add(new CallAttemptView(time.GetUtcNow(), caller.Id, outcome));
        await state.WriteStateAsync();
        return await View(caller);
    }

    private void EnsurePhoneCall()
    {
        EnsureExists();
        if (S.Channel != Channel.Phone) throw Guard.NotFound("no such phone call");
    }

    /// <summary>Ends it through <see cref="ConsultationLifecycle.Finish"/> (closed when active, else abandoned; abandoned
    /// whatever its status when the worker erased themself), then tells the router.</summary>
    private async Task Finish(DateTimeOffset now, int? rating, string? comment, Resolution? resolution, string? summary, bool workerErased = false)
    {
        var lawyer = S.AssignedLawyerId;
        var wasActive = S.Status == ConsultationStatus.Active;
        var handle = ConsultationLifecycle.HandleSeconds(S, now);
        var ended = ConsultationLifecycle.Finish(S, now, resolution, workerErased) ?? throw Guard.Conflict($"consultation is {Wire(S.Status)}");
        S.Rating = rating ?? S.Rating;
        S.Comment = comment ?? S.Comment;
        S.LawyerSummary = summary ?? S.LawyerSummary;
        if (lawyer is not null) ConsultationAccessPolicy.Left(S.Access, lawyer, await LastSeq(), now);
        foreach (var offered in S.Access.Where(a => a.Standing == LawyerStanding.Offered).Select(a => a.LawyerId).ToList())
            ConsultationAccessPolicy.OfferEnded(S.Access, offered);
        // The consultation first, then the router: a crash in between leaves a finished consultation the router still
        // holds, which the reconciliation releases (the other order would let a closed chat be routed again).
        await state.WriteStateAsync();
        if (wasActive)
        {
            Crash?.At(ended == ConsultationStatus.Closed ? "close" : "abandon");
            await Router.Release(S.Id, ended == ConsultationStatus.Closed ? handle : null);
            if (ended == ConsultationStatus.Closed && handle is { } h) await Statistics.RecordClosed(S.Category, h, now);
        }
        else
        {
            Crash?.At("abandon");
            await Router.Remove(S.Id);
        }
        // The lawyer's own load counter (LawyerView.activeCount in the admin roster) follows the router's.
        if (lawyer is not null) await GrainFactory.GetGrain<ILawyerGrain>(lawyer).OnActiveChanged(S.Id, false);
        await Publish(c => c.StatusChanged(new StatusChangedEvent(S.Id, S.Status, S.Resolution, S.Advice)));
        // Retention: its texts are purged once Hotline:Privacy:RetentionDays have passed.
        await GrainFactory.GetGrain<IRetentionGrain>(GrainKeys.Hotline).Track(S.Id, now);
    }

    public async Task<ConsultationView> Transfer(Caller caller, TransferRequest request)
    {
        EnsureAssigned(caller);
        if (request.ToCategory is null && request.ToLawyerId is null) throw Guard.Validation("give toCategory or toLawyerId");
        if (request.ToCategory is { Length: 0 or > 64 }) throw Guard.Validation("toCategory is invalid");
        if (request.ToLawyerId is { } target)
        {
            if (target == caller.Id) throw Guard.Validation("cannot transfer to yourself");
            // A blank id is refused here: Orleans refuses a blank grain key with an exception that would answer internal_error.
            var profile = await GrainFactory.GetGrain<ILawyerGrain>(Guard.Id(target, "toLawyerId")).GetProfile();
            if (profile is null) throw Guard.NotFound("unknown lawyer");
        }
        // The note is checked before anything changes and written with the requeue's state write, so a refused
        // transfer leaves no note behind and an accepted one never loses it.
        Guard.OptionalText(request.Note, limits.Value.MaxNoteLength, "note");
        NoteView? note = request.Note is { Length: > 0 }
            ? NewNote(caller, "转介 Transfer: " + request.Note)
            : null;

        var from = S.AssignedLawyerId!;
        var category = S.Category;
        if (request.ToCategory is { } toCategory) S.Category = toCategory;
        if (note is not null) S.Notes.Add(note);
        try
        {
            await Requeue(request.ToLawyerId, request.ToLawyerId is null ? from : null, "transfer");
        }
        catch
        {
            if (note is not null) S.Notes.Remove(note);
            S.Category = category;
            throw;
        }
        return await GetView();
    }

    public async Task ReturnToQueue(string lawyerId)
    {
        if (!state.RecordExists || S.Status != ConsultationStatus.Active || S.AssignedLawyerId != lawyerId) return;
        // The lawyer did not come back in time, was disabled, or declared a conflict with this employer.
        logger.LogInformation("Consultation {Id} returns to the queue from lawyer {Lawyer}", S.Id, lawyerId);
        await Requeue(null, null, "requeue");
    }

    private async Task Requeue(string? preferredLawyerId, string? excludeLawyerId, string step)
    {
        var previous = S.AssignedLawyerId;
        // Router first (keeps QueuedAt, so it goes back ahead of consultations that arrived later), then the
        // consultation: a crash in between leaves an active consultation the router has queued again, which the
        // reconciliation turns to queued. An offer the router makes meanwhile waits behind this call.
        await Router.Enqueue(S.Id, S.Category, S.Dialect, S.Channel, S.Priority, S.QueuedAt, preferredLawyerId, excludeLawyerId, S.EmployerKey, S.Region);
        Crash?.At(step);
        await MarkQueued();
        if (previous is not null) await GrainFactory.GetGrain<ILawyerGrain>(previous).OnActiveChanged(S.Id, false);
    }

    private async Task MarkQueued()
    {
        var previous = S.AssignedLawyerId;
        if (!ConsultationLifecycle.Requeue(S)) return;
        if (previous is not null) ConsultationAccessPolicy.Left(S.Access, previous, await LastSeq(), time.GetUtcNow());
        await state.WriteStateAsync();
        await Publish(c => c.StatusChanged(new StatusChangedEvent(S.Id, S.Status)));
        // The lawyer it left hears it too (they keep the view), so their console stops showing it as theirs.
        if (previous is not null) await Push(() => notifier.Lawyer(previous).StatusChanged(new StatusChangedEvent(S.Id, S.Status)));
    }

    public async Task<ConsistencyMismatch?> CheckConsistency(bool repair)
    {
        var id = this.GetPrimaryKeyString();
        var entry = await Router.GetEntry(id);
        var exists = state.RecordExists;
        var fix = ConsistencyRules.Compare(exists, S.Status, S.AssignedLawyerId, entry.Placement, entry.LawyerId, S.OfferedTo, entry.OfferedTo);
        if (fix == ConsistencyRepair.None) return null;
        var mismatch = new ConsistencyMismatch
        {
            ConsultationId = id,
            Status = exists ? S.Status : null,
            AssignedLawyerId = exists ? S.AssignedLawyerId : null,
            Router = entry.Placement,
            RouterLawyerId = entry.LawyerId ?? entry.OfferedTo,
            Repair = fix,
            Repaired = repair,
        };
        if (!repair) return mismatch;
        logger.LogWarning("Consultation {Id} disagreed with the router ({Status} vs {Router}): {Repair}", id, exists ? S.Status : null, entry.Placement, fix);
        switch (fix)
        {
            case ConsistencyRepair.ForgetInRouter when entry.Placement == RouterPlacement.Active:
                await Router.Release(id, null);
                break;
            case ConsistencyRepair.ForgetInRouter:
                await Router.Remove(id);
                break;
            case ConsistencyRepair.EnqueueInRouter:
                var previous = S.AssignedLawyerId;
                await Router.Enqueue(S.Id, S.Category, S.Dialect, S.Channel, S.Priority, S.QueuedAt, null, null, S.EmployerKey, S.Region);
                if (S.Status == ConsultationStatus.Active) await MarkQueued();
                if (previous is not null) await GrainFactory.GetGrain<ILawyerGrain>(previous).OnActiveChanged(S.Id, false);
                break;
            case ConsistencyRepair.ConsultationToQueued:
                var had = S.AssignedLawyerId;
                await MarkQueued();
                if (had is not null) await GrainFactory.GetGrain<ILawyerGrain>(had).OnActiveChanged(S.Id, false);
                // The router may have offered it meanwhile: that offer was ignored while this read active.
                if (entry.OfferedTo is { } offeredTo && entry.OfferExpiresAt is { } expires) await OnOffered(offeredTo, expires);
                break;
            case ConsistencyRepair.RecordOffer:
                await OnOffered(entry.OfferedTo!, entry.OfferExpiresAt ?? time.GetUtcNow());
                break;
            case ConsistencyRepair.ConsultationToActive:
                await OnAssigned(entry.LawyerId!, entry.LawyerName ?? entry.LawyerId!, (time.GetUtcNow() - S.QueuedAt).TotalSeconds);
                break;
        }
        return mismatch;
    }

    public async Task<NoteView> AddNote(Caller caller, string text)
    {
        EnsureExists();
        if (caller.Role != ParticipantRole.Lawyer || caller.Id != S.AssignedLawyerId)
            throw Guard.Forbidden(S.LawyersInvolved.Contains(caller.Id) ? "not assigned to you" : "not a participant");
        Guard.Text(text, limits.Value.MaxNoteLength, "text");
        var note = NewNote(caller, text);
        S.Notes.Add(note);
        await state.WriteStateAsync();
        return note;
    }

    private NoteView NewNote(Caller caller, string text)
        => new() { ConsultationId = S.Id, LawyerId = caller.Id, LawyerName = caller.Name, Text = text, At = time.GetUtcNow() };

    public async Task<IReadOnlyList<NoteView>> GetNotes(Caller caller)
    {
        var access = EnsureCanRead(caller);
        if (!access.Notes) throw Guard.Forbidden(caller.Role == ParticipantRole.Admin ? "no access grant for this transcript" : "not assigned to you");
        await AuditRead(caller, access, notes: true);
        return S.Notes.Where(n => !access.OwnNotesOnly || n.LawyerId == caller.Id).ToList();
    }

    public async Task Erase(string workerId)
    {
        if (!state.RecordExists || S.WorkerId != workerId) return;
        var now = time.GetUtcNow();
        if (!ConsultationStateMachine.IsTerminal(S.Status))
        {
            // The worker left for good: an open consultation, active included, ends abandoned through the lifecycle; Finish
            // writes it first and then frees its lawyer or takes it out of the queue (see "One truth").
            var waited = S.Status == ConsultationStatus.Active ? (double?)null : (now - S.QueuedAt).TotalSeconds;
            await Finish(now, null, null, null, null, workerErased: true);
            if (waited is { } w) await Statistics.RecordAbandoned(S.Category, w, now, S.Region);
        }
        await EraseTexts(now);
    }

    public async Task<PurgeResult> Purge(DateTimeOffset closedBefore)
    {
        if (!state.RecordExists || !ConsultationStateMachine.IsTerminal(S.Status) || S.ClosedAt is not { } closed || closed >= closedBefore)
            return new PurgeResult(false, null);
        // Already erased (by its worker, or by a run that stopped before telling the worker): the owner is named again.
        if (S.ErasedAt is not null) return new PurgeResult(false, S.WorkerId);
        await EraseTexts(time.GetUtcNow());
        return new PurgeResult(true, S.WorkerId);
    }

    public async Task<string?> SweepErased()
    {
        // The sweep activates every consultation once: an ended one goes back to the store after it.
        if (!state.RecordExists || ConsultationStateMachine.IsTerminal(S.Status)) DeactivateOnIdle();
        if (!state.RecordExists || S.ErasedAt is null) return null;
        // Erased by a build from before the detector could forget, or before erase blanked these: the same as EraseTexts
        // does now for them. Forgetting an id the detector does not hold changes nothing and writes nothing.
        await Collective.Forget(S.Id, S.WorkerId);
        if (S.Advice is not null || S.Region is not null || S.Employer is not null || S.EmployerKey is not null)
        {
            S.Advice = null;
            S.Region = null;
            S.Employer = null;
            S.EmployerKey = null;
            await state.WriteStateAsync();
        }
        return S.WorkerId;
    }

    /// <summary>Blanks every text and personal field; status, category, times and statistics stay.</summary>
    private async Task EraseTexts(DateTimeOffset now)
    {
        // An entry the router still holds for this ended consultation (a crash between the two writes) goes now, not at
        // the next reconciliation: its employer key and region would go into the router's next snapshot.
        try
        {
            await CheckConsistency(repair: true);
        }
        catch (Exception e)
        {
            // Best effort (the router may be failing over): the reconciliation removes the entry later.
            logger.LogWarning(e, "Erase: consultation {Id} could not be checked against the router", S.Id);
        }
        // The collective detector holds the employer as this worker wrote it, tied to their id: it forgets them first.
        if (S.EmployerKey is not null) await Collective.Forget(S.Id, S.WorkerId);
        await messages.EraseTextsAsync(S.Id);
        _sent = null;
        _withdrawn = null; // an erased message is never pushed again
        S.Summary = "";
        S.WorkerName = null;
        S.CallerNumber = null;
        S.Comment = null;
        S.LawyerSummary = null;
        S.Notes.Clear();
        S.Advice = null;
        S.Employer = null;
        S.EmployerKey = null;
        S.Region = null;
        S.ErasedAt = now;
        // The callers scrub the store once after all of theirs (ErasedData.Scrub): the worker's erase, the retention run.
        await state.WriteStateAsync();
    }

    public Task ShowOfferAgain(string lawyerId, DateTimeOffset expiresAt)
    {
        _offerShown = null;
        return OnOffered(lawyerId, expiresAt);
    }

    public async Task OnOffered(string lawyerId, DateTimeOffset expiresAt)
    {
        var offer = (lawyerId, expiresAt);
        if (state.RecordExists && S.Status == ConsultationStatus.Offered && S.OfferedTo == lawyerId && S.OfferExpiresAt == expiresAt)
        {
            // Already recorded: shown again only if this activation has not shown it (the one that did may be gone).
            if (_offerShown == offer) return;
        }
        else if (!state.RecordExists || !ConsultationLifecycle.Offer(S, lawyerId, expiresAt))
        {
            // An offer this consultation cannot take (it ended, or the router re-queued it while this grain still reads
            // active): left alone, the router's offer would lapse unseen at its deadline and set the lawyer away. The
            // repair the reconciliation would make is made now instead of at its next pass.
            try { await CheckConsistency(repair: true); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Consultation {Id}: a refused offer could not be checked against the router", this.GetPrimaryKeyString());
            }
            return;
        }
        else
        {
            ConsultationAccessPolicy.Offered(S.Access, lawyerId);
            try
            {
                await state.WriteStateAsync();
            }
            catch (Exception e) when (e is not (OperationCanceledException or Orleans.Storage.InconsistentStateException))
            {
                // The offer is durable in the router and this activation holds it: the lawyer is still shown it (an offer never
                // shown lapses and sets them away). The next write stores it; if this activation is lost first, the
                // reconciliation records it again from the router (RecordOffer).
                logger.LogWarning(e, "Consultation {Id}: the offer could not be written; shown to the lawyer all the same", S.Id);
            }
        }
        _offerShown = offer;
        await GrainFactory.GetGrain<ILawyerGrain>(lawyerId).OnOffered(S.Id);
        await Push(() => notifier.Lawyer(lawyerId).Offer(new OfferEvent
        {
            ConsultationId = S.Id,
            Category = S.Category,
            Dialect = S.Dialect,
            Channel = S.Channel,
            Summary = S.Summary,
            WaitedSeconds = Math.Round((time.GetUtcNow() - S.QueuedAt).TotalSeconds, 1),
            ExpiresAt = expiresAt,
        }));
    }

    public async Task OnOfferWithdrawn(string lawyerId, OfferRevokeReason reason)
    {
        if (!state.RecordExists) return;
        // A lapsed or withdrawn offer ends the lawyer's view at once (need-to-know).
        var before = ConsultationAccessPolicy.StandingOf(S.Access, lawyerId).Standing;
        ConsultationAccessPolicy.OfferEnded(S.Access, lawyerId);
        if (ConsultationLifecycle.WithdrawOffer(S, lawyerId) | before == LawyerStanding.Offered) await state.WriteStateAsync();
        await Push(() => notifier.Lawyer(lawyerId).OfferRevoked(new OfferRevokedEvent(S.Id, reason)));
    }

    public async Task OnAssigned(string lawyerId, string lawyerName, double waitedSeconds)
    {
        var now = time.GetUtcNow();
        // Active with another lawyer (a repair after a crash between the router's step and this grain's): that lawyer leaves
        // it here, as on a transfer, or they would keep reading it, later messages included.
        var replaced = state.RecordExists && S.Status == ConsultationStatus.Active && S.AssignedLawyerId is { } before && before != lawyerId ? before : null;
        if (!state.RecordExists || !ConsultationLifecycle.Assign(S, lawyerId, lawyerName, now)) return;
        S.LawyersOnline = null;
        if (S.Channel == Channel.Phone && !S.Callback && grainOptions.Value.GatewaySilentSeconds > 0
            && now - _gatewaySeen > TimeSpan.FromSeconds(grainOptions.Value.GatewaySilentSeconds))
        {
            // Nobody has polled this call for a while: the caller is not on the line to be bridged (a gateway that went
            // down, a hangup lost on the way). The lawyer who takes it calls back.
            S.Callback = true;
            logger.LogInformation("Consultation {Id}: its gateway went silent; the lawyer who takes the call calls back", S.Id);
        }
        if (replaced is not null) ConsultationAccessPolicy.Left(S.Access, replaced, await LastSeq(), now);
        ConsultationAccessPolicy.Assigned(S.Access, lawyerId);
        await state.WriteStateAsync();
        if (replaced is not null) await GrainFactory.GetGrain<ILawyerGrain>(replaced).OnActiveChanged(S.Id, false);
        await GrainFactory.GetGrain<ILawyerGrain>(lawyerId).OnActiveChanged(S.Id, true);
        var assigned = new AssignedEvent(S.Id, lawyerId, lawyerName);
        var worker = S.WorkerId;
        await Pushes.Enqueue(() => Task.WhenAll(notifier.Worker(worker).Assigned(assigned), notifier.Lawyer(lawyerId).Assigned(assigned)));
        NotifyWorkerByPush(WorkerNoticeKind.Assigned);
        await Publish(c => c.StatusChanged(new StatusChangedEvent(S.Id, S.Status)));
        await Statistics.RecordAnswered(S.Category, waitedSeconds, now, S.Region);
    }

    public async Task OnQueuePosition(int position, int? estimatedWaitSeconds, int lawyersOnline)
    {
        if (!state.RecordExists || S.Status is not (ConsultationStatus.Queued or ConsultationStatus.Offered)) return;
        if (S.QueuePosition == position && S.EstimatedWaitSeconds == estimatedWaitSeconds && S.LawyersOnline == lawyersOnline) return;
        S.QueuePosition = position;
        S.EstimatedWaitSeconds = estimatedWaitSeconds;
        S.LawyersOnline = lawyersOnline;
        // Positions are advisory and recomputed by the router: no need to write them durably on every change.
        await Push(() => notifier.Worker(S.WorkerId).QueueUpdate(new QueueUpdateEvent(S.Id, position, estimatedWaitSeconds, lawyersOnline)));
    }

    /// <summary>A connection to leave out of the push of its own message (it files the message from the ack).</summary>
    private readonly record struct SenderConnection(ParticipantRole Role, string UserId, string ConnectionId);

    private static SenderConnection? SenderCopy(Caller caller, string? exceptConnection)
        => exceptConnection is null ? null : new SenderConnection(caller.Role, caller.Id, exceptConnection);

    private OrderedPushes Pushes => _pushes ??= new OrderedPushes(logger);

    /// <summary>
    /// A Web Push to the worker if no page of theirs is connected: one-way, after the state is written, so it never delays
    /// the ack nor undoes the change. A phone caller has no browser to push to.
    /// </summary>
    private void NotifyWorkerByPush(WorkerNoticeKind kind)
    {
        if (S.Channel == Channel.Phone) return;
        _ = GrainFactory.GetGrain<IWebPushGrain>(0).NotifyWorker(S.WorkerId, new WorkerNotice(kind, S.Id));
    }

    /// <summary>
    /// An event to both participants (the worker and the assigned lawyer, if any, both at once), sent after every
    /// earlier push of this consultation. The returned task completes when it was sent; it never faults.
    /// </summary>
    private Task Publish(Func<IConsultationClient, Task> send, bool lawyerFirst = false, SenderConnection? except = null, string? stagesOf = null)
    {
        // Recipients as of now: a push that waits behind another must not follow a later transfer. The sending connection
        // is left out of its own message's push when it files the message from the ack (every other connection gets it).
        var worker = except is { Role: ParticipantRole.Worker } w ? notifier.WorkerExcept(S.WorkerId, w.ConnectionId) : notifier.Worker(S.WorkerId);
        var lawyer = S.AssignedLawyerId is not { } id ? null
            : except is { Role: ParticipantRole.Lawyer } l && l.UserId == id ? notifier.LawyerExcept(id, l.ConnectionId) : notifier.Lawyer(id);
        // Each send serialises and writes before the next starts: the one who did not send a message gets it first.
        // The recipient of a worker's message is the lawyer: that push is the one the stage log follows.
        return Pushes.Enqueue(() => lawyer is null ? send(worker)
            : lawyerFirst ? Task.WhenAll(MessageStageLog.Pushed(() => send(lawyer), stagesOf), send(worker)) : Task.WhenAll(send(worker), send(lawyer)));
    }

    /// <summary>
    /// A push happens after the state it reports is written and never undoes or interrupts it: a backplane outage or a
    /// throwing notifier is logged quietly (clients catch up from state when they re-join). In order with the others.
    /// </summary>
    private Task Push(Func<Task> push) => Pushes.Enqueue(push);

    private async Task<long> LastSeq() => _lastSeq ??= await messages.GetLastSeqAsync(this.GetPrimaryKeyString());

    private async Task<Dictionary<(string SenderId, string ClientMessageId), SentMessage>> Sent()
    {
        if (_sent is not null) return _sent;
        var all = await ReadStored(0);
        _lastSeq = all.Count == 0 ? 0 : all[^1].Seq;
        // An early push withdrawn after a failed write that had committed after all: push it again (it is stored).
        if (_withdrawn is { } w && all.Find(m => m.Seq == w.Seq) is { } stored && stored.SenderId == w.SenderId && stored.ClientMessageId == w.ClientMessageId)
        {
            var view = ToView(stored);
            _ = Publish(c => c.Message(view));
        }
        _withdrawn = null;
        // Not ToDictionary: a repeated id in the table (a restore, a hand-made fix) must not stop every later send; the
        // first (lowest seq) is the original.
        var sent = new Dictionary<(string SenderId, string ClientMessageId), SentMessage>(all.Count);
        foreach (var m in all) sent.TryAdd((m.SenderId, m.ClientMessageId), new SentMessage(m.Seq, m.SentAt));
        return _sent = sent;
    }

    private async Task<IReadOnlyList<MessageView>> ReadAll(long afterSeq) => (await ReadStored(afterSeq)).Select(ToView).ToList();

    /// <summary>Every stored message after <paramref name="afterSeq"/>, in seq order, read page by page.</summary>
    private async Task<List<StoredMessage>> ReadStored(long afterSeq)
    {
        var result = new List<StoredMessage>();
        while (true)
        {
            var page = await messages.ReadAsync(this.GetPrimaryKeyString(), afterSeq, 500);
            result.AddRange(page);
            if (page.Count < 500) return result;
            afterSeq = page[^1].Seq;
        }
    }

    private static MessageView ToView(StoredMessage m) => new()
    {
        ConsultationId = m.ConsultationId,
        Seq = m.Seq,
        SenderRole = m.SenderRole,
        SenderId = m.SenderId,
        SenderName = m.SenderName,
        Text = m.Text,
        SentAt = m.SentAt,
        ClientMessageId = m.ClientMessageId,
    };

    private void EnsureExists()
    {
        if (!state.RecordExists) throw Guard.NotFound("consultation not found");
    }

    /// <summary>The need-to-know decision for this caller (<see cref="ConsultationAccessPolicy"/>).</summary>
    private AccessDecision Decide(Caller caller)
    {
        var role = caller.Role switch
        {
            ParticipantRole.Worker => ReaderRole.Worker,
            ParticipantRole.Lawyer => ReaderRole.Lawyer,
            ParticipantRole.Admin => ReaderRole.Admin,
            _ => ReaderRole.Other,
        };
        return ConsultationAccessPolicy.Decide(role, caller.Id, S.WorkerId, S.Access, S.AdminGrants, time.GetUtcNow());
    }

    /// <summary>Throws <c>forbidden</c> unless the caller may at least see the view; returns what else it may read.</summary>
    private AccessDecision EnsureCanRead(Caller caller)
    {
        EnsureExists();
        var access = Decide(caller);
        if (!access.View) throw Guard.Forbidden(caller.Role == ParticipantRole.Admin ? "no access grant for this transcript" : "not a participant");
        return access;
    }

    private void EnsureCanWrite(Caller caller)
    {
        EnsureExists();
        var allowed = caller.Role switch
        {
            ParticipantRole.Worker => caller.Id == S.WorkerId,
            ParticipantRole.Lawyer => caller.Id == S.AssignedLawyerId,
            _ => false,
        };
        if (!allowed) throw Guard.Forbidden(caller.Role == ParticipantRole.Lawyer && S.LawyersInvolved.Contains(caller.Id)
            ? "not assigned to you" : "not a participant");
    }

    private void EnsureAssigned(Caller caller)
    {
        EnsureExists();
        if (caller.Role != ParticipantRole.Lawyer || caller.Id != S.AssignedLawyerId)
            throw Guard.Forbidden(S.LawyersInvolved.Contains(caller.Id) ? "not assigned to you" : "not a participant");
        if (S.Status != ConsultationStatus.Active) throw Guard.Conflict($"consultation is {Wire(S.Status)}");
    }

    private static string Wire(ConsultationStatus status) => status.ToString().ToLowerInvariant();
}
