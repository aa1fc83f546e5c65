using Orleans.Concurrency;

namespace Hotline.Abstractions;

/// <summary>A browser's <c>PushSubscription</c> (endpoint and its keys), kept for a worker whose page may be closed.</summary>
[GenerateSerializer, Alias("Hotline.WebPushSubscription")]
public sealed record WebPushSubscription([property: Id(0)] string Endpoint, [property: Id(1)] string P256dh, [property: Id(2)] string Auth);

/// <summary>Why a worker is told by Web Push.</summary>
public enum WorkerNoticeKind
{
    /// <summary>A lawyer took the consultation.</summary>
    Assigned,
    /// <summary>A lawyer's message arrived.</summary>
    Message,
}

/// <summary>
/// What a Web Push tells a worker: the kind and the consultation, nothing else. The notification may show on a locked
/// screen that others see, so it never carries message text, the lawyer's name or anything the worker wrote.
/// </summary>
[GenerateSerializer, Alias("Hotline.WorkerNotice")]
public sealed record WorkerNotice([property: Id(0)] WorkerNoticeKind Kind, [property: Id(1)] string ConsultationId);

/// <summary>How one Web Push delivery ended.</summary>
public enum WebPushResult
{
    /// <summary>The push service took it (2xx).</summary>
    Delivered,
    /// <summary>The subscription is gone for good (404 / 410): forget it.</summary>
    Gone,
    /// <summary>Anything else (network, 5xx, 429): kept, the next notice tries again.</summary>
    Failed,
}

/// <summary>Sends one Web Push (VAPID-signed, aes128gcm-encrypted); the web host implements it.</summary>
public interface IWebPushSender
{
    /// <summary>False when no VAPID keys are configured (cluster mode without <c>Hotline:Push:*</c>): nothing is sent.</summary>
    bool Enabled { get; }

    /// <summary>Delivers <paramref name="notice"/> to <paramref name="subscription"/>; never throws.</summary>
    Task<WebPushResult> Send(WebPushSubscription subscription, WorkerNotice notice, CancellationToken cancellationToken);
}

/// <summary>
/// Sends Web Pushes to workers, off every consultation's path: the consultation calls it one-way after its state is
/// written, so a slow or failing push service never delays or undoes a state change. Stateless: any silo, many at once.
/// </summary>
[Alias("Hotline.IWebPushGrain")]
public interface IWebPushGrain : IGrainWithIntegerKey
{
    /// <summary>Pushes <paramref name="notice"/> to every subscription of the worker unless a page of theirs is connected.</summary>
    [OneWay, Alias("NotifyWorker")] Task NotifyWorker(string workerId, WorkerNotice notice);
}

/// <summary><c>POST /api/workers/me/resume-code</c> answer: the code to type on the other device and when it lapses.</summary>
[GenerateSerializer, Alias("Hotline.ResumeCode")]
public sealed record ResumeCode([property: Id(0)] string Code, [property: Id(1)] DateTimeOffset ExpiresAt);

/// <summary>A resume code's record, keyed by a keyed hash of the code (the code itself is never stored).</summary>
[Alias("Hotline.IResumeCodeGrain")]
public interface IResumeCodeGrain : IGrainWithStringKey
{
    /// <summary>Binds this code to <paramref name="workerId"/> until <paramref name="expiresAt"/>; false if the code is taken.</summary>
    [Alias("Bind")] Task<bool> Bind(string workerId, DateTimeOffset expiresAt);
    /// <summary>Uses the code up: the worker it was bound to, or null when unknown, expired or revoked.</summary>
    [Alias("Redeem")] Task<string?> Redeem();
    /// <summary>Forgets the code (revoked, or replaced by a newer one).</summary>
    [Alias("Revoke")] Task Revoke();
}
