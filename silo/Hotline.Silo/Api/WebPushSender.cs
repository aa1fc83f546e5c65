using System.Net;
using System.Text.Json;
using Hotline.Abstractions;
using Hotline.Silo.Security;
using Lib.Net.Http.WebPush;
using Lib.Net.Http.WebPush.Authentication;

namespace Hotline.Silo.Api;

/// <summary>
/// Web Push over Lib.Net.Http.WebPush: a VAPID JWT (ES256, RFC 8292 <c>vapid</c> scheme) and an aes128gcm body
/// (RFC 8291). The payload names the kind and the consultation only (<see cref="WorkerNotice"/>).
/// </summary>
public sealed class WebPushSender : IWebPushSender, IDisposable
{
    private readonly HttpClient? _http;
    private readonly PushServiceClient? _client;
    private readonly ILogger<WebPushSender> _logger;

    public WebPushSender(WebPushKeys? keys, ILogger<WebPushSender> logger)
    {
        _logger = logger;
        if (keys is null) return;
        var vapid = new VapidAuthentication(keys.PublicKey, keys.PrivateKey) { Subject = keys.Subject };
        _http = new HttpClient(new VapidAudienceHandler(vapid) { InnerHandler = new SocketsHttpHandler() }) { Timeout = TimeSpan.FromSeconds(30) };
        _client = new PushServiceClient(_http)
        {
            DefaultAuthentication = vapid,
            DefaultAuthenticationScheme = VapidAuthenticationScheme.Vapid,
            // A worker's notice is worth a day; after that the page shows it anyway.
            DefaultTimeToLive = 24 * 3600,
            AutoRetryAfter = false,
        };
    }

    public bool Enabled => _client is not null;

    public async Task<WebPushResult> Send(WebPushSubscription subscription, WorkerNotice notice, CancellationToken cancellationToken)
    {
        if (_client is null) return WebPushResult.Failed;
        var target = new PushSubscription { Endpoint = subscription.Endpoint };
        target.SetKey(PushEncryptionKeyName.P256DH, subscription.P256dh);
        target.SetKey(PushEncryptionKeyName.Auth, subscription.Auth);
        var payload = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["kind"] = notice.Kind == WorkerNoticeKind.Assigned ? "assigned" : "message",
            ["consultationId"] = notice.ConsultationId,
        });
        try
        {
            await _client.RequestPushMessageDeliveryAsync(target, new PushMessage(payload) { Urgency = PushMessageUrgency.High }, cancellationToken);
            return WebPushResult.Delivered;
        }
        catch (PushServiceClientException e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
        {
            return WebPushResult.Gone;
        }
        catch (Exception e) when (e is PushServiceClientException or HttpRequestException or TaskCanceledException)
        {
            // The endpoint is a worker's (a push service URL): never logged, it identifies the browser.
            _logger.LogInformation("Web Push not delivered: {Error}", e.GetType().Name);
            return WebPushResult.Failed;
        }
    }

    public void Dispose() => _http?.Dispose();
}

/// <summary>
/// RFC 8292 wants the JWT's <c>aud</c> to be the push resource's origin, port included; the library drops a
/// non-default port (https://host:8443 signs as https://host). Push services on port 443 are unaffected, but this
/// handler signs every request for its exact origin, so a push service on another port accepts it too.
/// </summary>
internal sealed class VapidAudienceHandler(VapidAuthentication vapid) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri is { } uri && request.Headers.Authorization?.Scheme == "vapid")
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("vapid",
                vapid.GetVapidSchemeAuthenticationHeaderValueParameter(uri.GetLeftPart(UriPartial.Authority)));
        return base.SendAsync(request, cancellationToken);
    }
}
