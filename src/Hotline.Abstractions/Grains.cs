using Orleans.Concurrency;
using Hotline.Domain;

namespace Hotline.Abstractions;

/// <summary>One consultation: its lifecycle, its participants, and its ordered messages. Key: consultation id.</summary>
[Alias("Hotline.IConsultationGrain")]
public interface IConsultationGrain : IGrainWithStringKey
{
    [Alias("Open")] Task<ConsultationView> Open(OpenConsultation command);
    [Alias("GetView")] Task<ConsultationView> GetView();
    /// <summary>The view with <c>relatedCount</c> (for admins; the assigned lawyer gets it through Join).</summary>
    [Alias("GetViewWithRelated")] Task<ConsultationView> GetViewWithRelated();
    [Alias("GetAccess")] Task<ConsultationAccess> GetAccess();
    [Alias("Join")] Task<JoinResult> Join(Caller caller, long afterSeq);
    /// <summary>
    /// Stores a message and answers once it is durable. <paramref name="exceptConnection"/>: the sending connection, when it
    /// files its own message from the ack, so its copy of the <c>Message</c> event is not pushed to it (its other
    /// connections still get it).
    /// </summary>
    [Alias("SendMessage")] Task<MessageAck> SendMessage(Caller caller, string clientMessageId, string text, string? exceptConnection = null);
    [Alias("GetMessages")] Task<IReadOnlyList<MessageView>> GetMessages(Caller caller, long afterSeq, int limit);
    [Alias("Typing")] Task Typing(Caller caller);
    [Alias("CloseByWorker")] Task<ConsultationView> CloseByWorker(Caller caller, int? rating, string? comment);
    [Alias("CloseByLawyer")] Task<ConsultationView> CloseByLawyer(Caller caller, Resolution resolution, string? summary, string? adviceToWorker);
    /// <summary>The worker rates a consultation a lawyer closed; once only (<c>conflict</c> after).</summary>
    [Alias("Rate")] Task<ConsultationView> Rate(Caller caller, int rating, string? comment);
    /// <summary>The gateway polls a phone call. <c>not_found</c> for a consultation that is not a phone call.</summary>
    [Alias("GetCallStatus")] Task<PhoneCallStatus> GetCallStatus();
    /// <summary>The caller hung up: a waiting call without callback ends abandoned; with callback it stays queued as a callback.</summary>
    [Alias("Hangup")] Task<ConsultationView> Hangup(bool callback);
    /// <summary>The assigned lawyer records a call-back attempt on a phone consultation.</summary>
    [Alias("RecordCallAttempt")] Task<ConsultationView> RecordCallAttempt(Caller caller, CallOutcome outcome);
    [Alias("Transfer")] Task<ConsultationView> Transfer(Caller caller, TransferRequest request);
    [Alias("AddNote")] Task<NoteView> AddNote(Caller caller, string text);
    [Alias("GetNotes")] Task<IReadOnlyList<NoteView>> GetNotes(Caller caller);

    /// <summary>The lawyer accepts the offer made to them; answers like <c>JoinConsultation</c>.</summary>
    [Alias("Accept")] Task<JoinResult> Accept(Caller lawyer);
    /// <summary>The lawyer declines the offer made to them; their view of it ends at once.</summary>
    [Alias("Decline")] Task Decline(Caller lawyer);
    /// <summary>The view if the caller may see it (need-to-know), else null.</summary>
    [Alias("ViewAs")] Task<ConsultationView?> ViewAs(Caller caller);
    /// <summary>Lets one admin read the transcript for 30 minutes; audited as <c>access_granted</c> with the reason.</summary>
    [Alias("GrantAdminAccess")] Task<AccessGrantView> GrantAdminAccess(string adminId, string reason);
    /// <summary>The worker erased itself: an open consultation ends abandoned; every text and personal field is blanked.</summary>
    [Alias("Erase")] Task Erase(string workerId);
    /// <summary>
    /// Retention: blanks the texts of a consultation closed before <paramref name="closedBefore"/>. Names its worker
    /// whenever it is erased and due (purged now or before), so a retried run tells the worker again.
    /// </summary>
    [Alias("Purge")] Task<PurgeResult> Purge(DateTimeOffset closedBefore);
    /// <summary>
    /// The sweep of data older builds left (<see cref="IRetentionGrain.Sweep"/>): an erased consultation loses what erase
    /// did not blank before 2026-11-30 (advice, region) and is forgotten by the collective detector. Returns its worker's
    /// id when it is erased (null otherwise); idempotent.
    /// </summary>
    [Alias("SweepErased")] Task<string?> SweepErased();
    /// <summary>Pull: the lawyer takes this waiting consultation now (<c>conflict</c> when not eligible or no free capacity); answers like <c>JoinConsultation</c>.</summary>
    [Alias("Claim")] Task<JoinResult> Claim(Caller lawyer);
    /// <summary>Admin: a queued, offered or active consultation goes back to routing, keeping its age, preferring <paramref name="toLawyerId"/> if given.</summary>
    [Alias("AdminRequeue")] Task<ConsultationView> AdminRequeue(string? toLawyerId);

    // Called by the router, one-way, so that the router never waits on a consultation (no call cycles).
    [OneWay, Alias("OnOffered")] Task OnOffered(string lawyerId, DateTimeOffset expiresAt);
    /// <summary>
    /// A new router activation tells an offer it recovered: shown to the lawyer again even if this activation showed it
    /// (the push may have been lost with the silo that held the lawyer's connection).
    /// </summary>
    [OneWay, Alias("ShowOfferAgain")] Task ShowOfferAgain(string lawyerId, DateTimeOffset expiresAt);
    [OneWay, Alias("OnOfferWithdrawn")] Task OnOfferWithdrawn(string lawyerId, OfferRevokeReason reason);
    [OneWay, Alias("OnAssigned")] Task OnAssigned(string lawyerId, string lawyerName, double waitedSeconds);
    [OneWay, Alias("OnQueuePosition")] Task OnQueuePosition(int position, int? estimatedWaitSeconds, int lawyersOnline);
    /// <summary>The assigned lawyer stayed disconnected past the grace period: back to the queue, keeping its age.</summary>
    [Alias("ReturnToQueue")] Task ReturnToQueue(string lawyerId);
    /// <summary>Compares this consultation with the router's entry for it; null when they agree. With <paramref name="repair"/>, makes them agree.</summary>
    [Alias("CheckConsistency")] Task<ConsistencyMismatch?> CheckConsistency(bool repair);
}

/// <summary>One lawyer: profile, availability, capacity, connections and consultations. Key: lawyer id.</summary>
[Alias("Hotline.ILawyerGrain")]
public interface ILawyerGrain : IGrainWithStringKey
{
    /// <summary>Creates the lawyer; <c>conflict</c> if it exists already (unless <paramref name="overwrite"/>).</summary>
    [Alias("Register")] Task<LawyerView> Register(LawyerProfile profile, bool overwrite);
    [Alias("GetProfile")] Task<LawyerProfile?> GetProfile();
    [Alias("GetView")] Task<LawyerView> GetView();
    [Alias("SetAvailability")] Task<LawyerView> SetAvailability(LawyerStatus status);
    [Alias("SetCapacity")] Task<LawyerView> SetCapacity(int capacity);
    [Alias("Connected")] Task Connected(string connectionId);
    /// <summary>
    /// A silo re-asserts a connection it still holds (keeps its lease; restores it after a failover). Ignored for a connection
    /// that closed. False: the lawyer is disabled, and the silo must close the connection.
    /// </summary>
    [Alias("RenewConnection")] Task<bool> RenewConnection(string connectionId);
    [Alias("Disconnected")] Task Disconnected(string connectionId);
    [Alias("GetConsultationIds")] Task<IReadOnlyList<string>> GetConsultationIds();
    // Called by the router and consultations, one-way.
    [OneWay, Alias("Lawyer.OnOffered")] Task OnOffered(string consultationId);
    [OneWay, Alias("OnStatusForced")] Task OnStatusForced(LawyerStatus status);
    /// <summary>The router (re)activated with possibly stale statuses: report the real one.</summary>
    [OneWay, Alias("RefreshRouting")] Task RefreshRouting();
    /// <summary>
    /// The router holds this lawyer as online (its periodic check): a grain that knows no connection of theirs waits for
    /// live ones to be re-asserted, then reports their real status. Covers a grain that died with the silo that also held
    /// the lawyer's only connection, which nothing else would ever wake.
    /// </summary>
    [OneWay, Alias("ConfirmOnline")] Task ConfirmOnline();
    [OneWay, Alias("OnActiveChanged")] Task OnActiveChanged(string consultationId, bool active);
    /// <summary>The version carried in this lawyer's tokens (claim <c>tv</c>); a token with another version is refused.</summary>
    [Alias("GetTokenVersion")] Task<int> GetTokenVersion();
    /// <summary>Every token issued so far stops working (password change, disable); returns the new version.</summary>
    [Alias("RevokeTokens")] Task<int> RevokeTokens();
}

/// <summary>An anonymous worker and the consultations they opened (to resume later). Key: worker id.</summary>
[Alias("Hotline.IWorkerGrain")]
public interface IWorkerGrain : IGrainWithStringKey
{
    [Alias("Register")] Task Register(string? displayName, string? phone);
    [Alias("GetDisplayName")] Task<string?> GetDisplayName();
    [Alias("AddConsultation")] Task AddConsultation(string consultationId);
    [Alias("GetConsultationIds")] Task<IReadOnlyList<string>> GetConsultationIds();
    /// <summary>The version carried in this worker's tokens (claim <c>tv</c>); -1 once erased.</summary>
    [Alias("GetTokenVersion")] Task<int> GetTokenVersion();
    /// <summary>
    /// <c>DELETE /api/workers/me</c>: open consultations end abandoned, every text and personal field of all of them is
    /// erased, the worker's tokens stop working. Returns how many consultations were erased.
    /// </summary>
    [Alias("Erase")] Task<int> Erase();
    /// <summary>
    /// Retention purged one of this worker's consultations. Once every one of them is purged, the worker's own personal
    /// fields go too (display name, phone, push subscriptions, resume code); the worker and their tokens stay.
    /// </summary>
    [Alias("OnConsultationPurged")] Task OnConsultationPurged(string consultationId);
    /// <summary>
    /// Retention reached the day this worker record was filed on, the day it was first given a personal field
    /// (<see cref="IRetentionGrain.WorkerFiled"/>): if none of its consultations is left unpurged, its personal fields go
    /// (display name, phone, push subscriptions, resume code), as they would with a last consultation's purge; a worker
    /// connected then is filed again from today instead. Returns whether anything was removed.
    /// </summary>
    [Alias("PurgeIfUnused")] Task<bool> PurgeIfUnused();
    /// <summary>
    /// The sweep of data older builds left (<see cref="IRetentionGrain.Sweep"/>): a record made before worker records were
    /// filed for retention is filed today, as a new one is, if no consultation of it is left unpurged and it holds a
    /// personal field. Returns whether it was filed; idempotent.
    /// </summary>
    [Alias("FileIfUnfiled")] Task<bool> FileIfUnfiled();
    /// <summary>Keeps a browser's push subscription (the same endpoint replaces its old keys; at most a few per worker).</summary>
    [Alias("SetPushSubscription")] Task SetPushSubscription(WebPushSubscription subscription);
    /// <summary>Forgets a subscription the push service reported gone (404 / 410).</summary>
    [Alias("RemovePushSubscription")] Task RemovePushSubscription(string endpoint);
    /// <summary>A page of this worker holds hub connection <paramref name="connectionId"/> (renewed while it lasts: a lease).</summary>
    [Alias("WorkerConnected")] Task Connected(string connectionId);
    /// <summary>That hub connection closed.</summary>
    [Alias("WorkerDisconnected")] Task Disconnected(string connectionId);
    /// <summary>Where to push now: every subscription, or none while a page of the worker is connected.</summary>
    [Alias("GetPushTargets")] Task<IReadOnlyList<WebPushSubscription>> GetPushTargets();
    /// <summary>Issues a resume code (replacing any earlier one) under the keyed hash <paramref name="codeKey"/>.</summary>
    [Alias("SetResumeCode")] Task<bool> SetResumeCode(string codeKey, DateTimeOffset expiresAt);
    /// <summary>Revokes the current resume code, if any.</summary>
    [Alias("RevokeResumeCode")] Task RevokeResumeCode();
}

/// <summary>
/// Open consultations counted per worker or per client address (key <c>open-w-…</c> / <c>open-ip-…</c>), so that one
/// anonymous token or one address cannot open without end.
/// </summary>
[Alias("Hotline.IOpenConsultationsGrain")]
public interface IOpenConsultationsGrain : IGrainWithStringKey
{
    /// <summary>Reserves a slot for <paramref name="consultationId"/>; false when <paramref name="max"/> are open already.</summary>
    [Alias("TryReserve")] Task<bool> TryReserve(string consultationId, int max);
    /// <summary>Gives a slot back (the open failed).</summary>
    [Alias("Release")] Task Release(string consultationId);
}

/// <summary>
/// Retention (<c>Hotline:Privacy:RetentionDays</c>): closed consultations are filed by the UTC day they closed, and worker
/// records by the day they were made (day grains <c>retention-yyyy-MM-dd</c>); <see cref="RunDue"/> purges whole days once
/// they are older than the retention, and remembers the last day done, so the job resumes after a restart. Key: "hotline".
/// </summary>
[Alias("Hotline.IRetentionGrain")]
public interface IRetentionGrain : IGrainWithStringKey
{
    [OneWay, Alias("Track")] Task Track(string consultationId, DateTimeOffset closedAt);
    /// <summary>A worker record was filed in the day grain of <paramref name="filedAt"/> (the worker grain files itself there,
    /// awaited): the job makes sure it walks that day. One-way, so a registration never waits behind a purge run.</summary>
    [OneWay, Alias("WorkerFiled")] Task WorkerFiled(DateTimeOffset filedAt);
    /// <summary>
    /// Runs the sweep of data older builds left, if <paramref name="version"/> is above the one last completed: erased
    /// consultations lose their advice and region and leave the collective alerts, their workers are told (as by a purge),
    /// and unfiled worker records without consultations are filed. <see cref="RunDue"/> runs the current version first;
    /// a later build that needs another sweep raises it. Resumes after a restart; records it could not do are kept and
    /// retried by each later call (not the whole walk).
    /// </summary>
    [Alias("Sweep")] Task<SweepResult> Sweep(int version);
    /// <summary>Purges every filed day older than the retention; returns how many consultations were purged (worker records
    /// without consultations that lost their personal fields are audited, not counted).</summary>
    [Alias("RunDue")] Task<int> RunDue(int retentionDays);
    /// <summary>When the job last ran (null: never).</summary>
    [Alias("GetLastRun")] Task<DateTimeOffset?> GetLastRun();
}

/// <summary>The consultations closed and the worker records made on one UTC day (key <c>retention-yyyy-MM-dd</c>).</summary>
[Alias("Hotline.IRetentionDayGrain")]
public interface IRetentionDayGrain : IGrainWithStringKey
{
    [Alias("Add")] Task Add(string consultationId);
    [Alias("GetIds")] Task<IReadOnlyList<string>> GetIds();
    [Alias("AddWorker")] Task AddWorker(string workerId);
    [Alias("GetWorkerIds")] Task<IReadOnlyList<string>> GetWorkerIds();
    /// <summary>Forgets the day (after its purge).</summary>
    [Alias("Clear")] Task Clear();
}

/// <summary>The router: owns the queue and the lawyers' routing view, runs <see cref="RoutingEngine"/>. Key: "hotline".</summary>
[Alias("Hotline.IRouterGrain")]
public interface IRouterGrain : IGrainWithStringKey
{
    /// <summary>
    /// Routes a consultation: a new one enters the queue; an active one goes back keeping its age (transfer, lost lawyer);
    /// a queued one is left as it is (so a repeated call is harmless). <paramref name="employerKey"/>: the normalised employer,
    /// kept from lawyers with a conflict on it.
    /// </summary>
    [Alias("Enqueue")] Task Enqueue(string consultationId, string category, string dialect, Channel channel, int priority, DateTimeOffset queuedAt, string? preferredLawyerId, string? excludeLawyerId, string? employerKey = null, string? region = null);
    /// <summary>The lawyer's profile and status; <paramref name="conflicts"/>: normalised employer keys (null: none).</summary>
    [Alias("UpsertLawyer")] Task UpsertLawyer(string lawyerId, string displayName, IReadOnlyList<string> skills, IReadOnlyList<string> dialects, int capacity, LawyerStatus status, IReadOnlyList<string>? conflicts = null);
    /// <summary>
    /// Puts a queued, offered or active consultation back to routing (its offer revoked, Cancelled; an active one's lawyer
    /// freed), keeping its age; optionally in a new category, preferring or excluding a lawyer. Returns the error code or null.
    /// </summary>
    [Alias("Requeue")] Task<string?> Requeue(string consultationId, string? newCategory, string? preferredLawyerId, string? excludeLawyerId);
    /// <summary>Consultation ids waiting (queued or offered) that this lawyer could claim now, in queue order.</summary>
    [Alias("GetQueue")] Task<IReadOnlyList<string>> GetQueue(string lawyerId);
    /// <summary>
    /// The lawyer takes a waiting consultation at once (an offer to someone else is revoked, Taken); the consultation hears
    /// <c>OnAssigned</c> as after an accept. Returns the error code (conflict: not eligible or no free capacity) or null.
    /// </summary>
    [Alias("Claim")] Task<string?> Claim(string consultationId, string lawyerId);
    /// <summary>Returns the error code, or null when accepted.</summary>
    [Alias("Accept")] Task<string?> Accept(string consultationId, string lawyerId);
    [Alias("Decline")] Task<string?> Decline(string consultationId, string lawyerId);
    [Alias("Release")] Task Release(string consultationId, double? handleSeconds);
    [Alias("Remove")] Task Remove(string consultationId);
    [Alias("LawyerDisconnected")] Task LawyerDisconnected(string lawyerId);
    /// <summary>
    /// A connection of this lawyer is new to their grain (a reconnect, another tab, one re-asserted after a failover): each
    /// offer open to them is shown again, since its push may have gone to a connection that is gone.
    /// </summary>
    [Alias("ShowOffersAgain")] Task ShowOffersAgain(string lawyerId);
    [Alias("GetPosition")] Task<QueueUpdateEvent?> GetPosition(string consultationId);
    [Alias("GetLoad")] Task<RouterLoad> GetLoad();
    /// <summary>Consultations active with this lawyer.</summary>
    [Alias("GetActive")] Task<IReadOnlyList<string>> GetActive(string lawyerId);
    /// <summary>Where the router has this consultation.</summary>
    [Alias("GetEntry")] Task<RouterEntry> GetEntry(string consultationId);
    /// <summary>Every consultation the router holds (queued, offered or active).</summary>
    [Alias("GetEntries")] Task<IReadOnlyList<RouterEntry>> GetEntries();
    [Alias("Ping")] Task Ping();
    /// <summary>
    /// Writes a snapshot now, which deletes the journal before it: batches of consultations since erased or purged held
    /// their employer keys until the next snapshot. Returns once the snapshot is durable. Called before the store's scrub.
    /// </summary>
    [Alias("Compact")] Task Compact();
}

/// <summary>The reconciliation of consultations with the router: runs by itself, and answers the admin check. Key: "hotline".</summary>
[Alias("Hotline.IConsistencyGrain")]
public interface IConsistencyGrain : IGrainWithStringKey
{
    /// <summary>Starts the periodic reconciliation (idempotent; also a keep-alive ping).</summary>
    [Alias("Start")] Task Start();
    /// <summary>Compares every consultation the router holds with its own state; repairs when <paramref name="repair"/>.</summary>
    [Alias("Check")] Task<ConsistencyReport> Check(bool repair);
}

/// <summary>The router's live view for metrics.</summary>
[GenerateSerializer, Alias("Hotline.RouterLoad")]
public sealed record RouterLoad
{
    [Id(0)] public DateTimeOffset At { get; init; }
    /// <summary>Per category: waiting (queued, not offered), offered, oldest wait seconds.</summary>
    [Id(1)] public IReadOnlyList<CategoryLoad> Categories { get; init; } = [];
    [Id(2)] public LawyerCounts Lawyers { get; init; } = new();
    [Id(3)] public IReadOnlyList<LawyerLoad> LawyerStates { get; init; } = [];
    /// <summary>Per region of the consultations that named one: waiting, offered, oldest wait (the category field holds the region).</summary>
    [Id(40)] public IReadOnlyList<CategoryLoad> Regions { get; init; } = [];
}

/// <summary>Per-category queue load.</summary>
[GenerateSerializer, Alias("Hotline.CategoryLoad")]
public sealed record CategoryLoad([property: Id(0)] string Category, [property: Id(1)] int Waiting, [property: Id(2)] int Offered, [property: Id(3)] double OldestWaitSeconds, [property: Id(4)] int Active);

/// <summary>One lawyer's live routing state.</summary>
[GenerateSerializer, Alias("Hotline.LawyerLoad")]
public sealed record LawyerLoad([property: Id(0)] string LawyerId, [property: Id(1)] LawyerStatus Status, [property: Id(2)] int Active, [property: Id(3)] int Capacity);

/// <summary>Hotline statistics: answered, abandoned, waits, handle times, hourly history; pushes <c>Metrics</c> to admins. Key: "hotline".</summary>
[Alias("Hotline.IStatisticsGrain")]
public interface IStatisticsGrain : IGrainWithStringKey
{
    /// <summary>A consultation entered the queue; <paramref name="region"/> is the worker's region, if given (per-region metrics).</summary>
    [Alias("RecordArrival")] Task RecordArrival(string category, DateTimeOffset at, string? region = null);
    [Alias("RecordAnswered")] Task RecordAnswered(string category, double waitSeconds, DateTimeOffset at, string? region = null);
    [Alias("RecordAbandoned")] Task RecordAbandoned(string category, double waitSeconds, DateTimeOffset at, string? region = null);
    [Alias("RecordClosed")] Task RecordClosed(string category, double handleSeconds, DateTimeOffset at);
    [Alias("RecordRated")] Task RecordRated(string category, int rating, DateTimeOffset at);
    [Alias("GetSnapshot")] Task<MetricsSnapshot> GetSnapshot();
    [Alias("GetHourly")] Task<IReadOnlyList<HourlyReportRow>> GetHourly(DateTimeOffset from, DateTimeOffset to);
    /// <summary>The date-range report over local days <paramref name="from"/>..<paramref name="to"/> (both included, <c>Hotline:TimeZone</c>).</summary>
    [Alias("GetRangeReport")] Task<RangeReport> GetRangeReport(DateOnly from, DateOnly to);
    [Alias("Start")] Task Start();
}

/// <summary>The list of all lawyer ids (for the admin roster and login). Key: "hotline".</summary>
[Alias("Hotline.IRosterGrain")]
public interface IRosterGrain : IGrainWithStringKey
{
    [Alias("Add")] Task<bool> Add(string lawyerId);
    [Alias("GetAll")] Task<IReadOnlyList<string>> GetAll();
    /// <summary>Whether a lawyer of this id exists (login asks before it touches the lawyer's grain).</summary>
    [Alias("Contains")] Task<bool> Contains(string lawyerId);
}

/// <summary>Well-known grain keys.</summary>
public static class GrainKeys
{
    public const string Hotline = "hotline";
    /// <summary>Lawyer ids derive from the username so that login needs no lookup table.</summary>
    public static string LawyerId(string username) => "lw-" + username.Trim().ToLowerInvariant();
}
