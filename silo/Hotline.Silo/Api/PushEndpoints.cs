using System.Buffers.Text;
using System.Security.Claims;
using Hotline.Abstractions;
using Hotline.Silo.Security;

namespace Hotline.Silo.Api;

/// <summary>A browser's <c>PushSubscription.toJSON()</c>: <c>{endpoint, keys:{p256dh, auth}}</c>.</summary>
public sealed record PushSubscriptionRequest(string? Endpoint, PushSubscriptionKeys? Keys);

/// <summary>The keys of a <see cref="PushSubscriptionRequest"/>.</summary>
public sealed record PushSubscriptionKeys(string? P256dh, string? Auth);

/// <summary><c>GET /api/push/key</c> answer.</summary>
public sealed record PushKeyView(string PublicKey);

/// <summary>Which push endpoints the server will post to (<c>Hotline:Push:EndpointHosts</c>, <c>Hotline:Push:AllowHttp</c>).</summary>
public sealed class PushEndpointRules(IConfiguration configuration)
{
    /// <summary>The push services of Chrome/Edge (FCM), Firefox, Safari and Windows.</summary>
    public const string DefaultHosts = "fcm.googleapis.com,.push.services.mozilla.com,.push.apple.com,.notify.windows.com";

    private readonly string[] _hosts = (configuration["Hotline:Push:EndpointHosts"] ?? DefaultHosts)
        .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    private readonly bool _allowHttp = configuration.GetValue("Hotline:Push:AllowHttp", false);

    /// <summary>
    /// The server posts to whatever endpoint a worker registers, so only push services' hosts are taken (a suffix
    /// starting with a dot matches subdomains): no posting into the server's own network on a worker's say-so.
    /// </summary>
    public bool Allows(Uri endpoint)
        => (endpoint.Scheme == Uri.UriSchemeHttps || (_allowHttp && endpoint.Scheme == Uri.UriSchemeHttp))
            && string.IsNullOrEmpty(endpoint.UserInfo)
            && _hosts.Any(h => h.StartsWith('.') ? endpoint.Host.EndsWith(h, StringComparison.OrdinalIgnoreCase) : endpoint.Host.Equals(h, StringComparison.OrdinalIgnoreCase));
}

/// <summary>Web Push (contract v2 "Around the clock"): the VAPID public key and a worker's subscription.</summary>
public static class PushEndpoints
{
    public static void MapPushEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/push/key", (IServiceProvider services) => services.GetService<WebPushKeys>() is { } keys
                ? Results.Ok(new PushKeyView(keys.PublicKey))
                : Problems.Of(HotlineException.Codes.Unavailable, "Web Push is not configured (Hotline:Push:PublicKey / PrivateKey)"))
            .RequireRateLimiting(ApiExtensions.RestPolicy).WithTags("push");

        app.MapPost("/api/workers/me/push", async (PushSubscriptionRequest? body, ClaimsPrincipal user, IServiceProvider services,
            PushEndpointRules rules, IGrainFactory grains, GrainCalls calls) =>
        {
            if (services.GetService<WebPushKeys>() is null)
                return Problems.Of(HotlineException.Codes.Unavailable, "Web Push is not configured");
            var subscription = Parse(body, rules);
            await calls.Run(() => grains.GetGrain<IWorkerGrain>(user.Id()).SetPushSubscription(subscription));
            return Results.NoContent();
        }).RequireAuthorization(Roles.Worker).RequireRateLimiting(ApiExtensions.RestPolicy).WithTags("push");
    }

    private static WebPushSubscription Parse(PushSubscriptionRequest? body, PushEndpointRules rules)
    {
        var endpoint = body?.Endpoint;
        if (string.IsNullOrWhiteSpace(endpoint) || endpoint.Length > 1000 || !Uri.TryCreate(endpoint, UriKind.Absolute, out var uri))
            throw Validation.Failed("endpoint must be an absolute URL of at most 1000 characters");
        if (!rules.Allows(uri)) throw Validation.Failed("endpoint is not a known push service");
        var p256dh = body!.Keys?.P256dh;
        var auth = body.Keys?.Auth;
        if (!Decodes(p256dh, 65, 0x04)) throw Validation.Failed("keys.p256dh must be an uncompressed P-256 point (base64url)");
        if (!Decodes(auth, 16)) throw Validation.Failed("keys.auth must be 16 bytes (base64url)");
        return new WebPushSubscription(endpoint, p256dh!, auth!);
    }

    private static bool Decodes(string? value, int length, byte? first = null)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 200) return false;
        try
        {
            var bytes = Base64Url.DecodeFromChars(value.TrimEnd('='));
            return bytes.Length == length && (first is null || bytes[0] == first);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
