using Hotline.Abstractions;

namespace Hotline.Silo.Hubs;

/// <summary>
/// The REST side of <see cref="BackplaneHealth"/>: while Redis does not answer, REST writes answer 503 <c>unavailable</c>
/// like hub calls do. A write (opening a consultation, a hangup, a requeue, a lawyer or alert change, an erasure...)
/// causes events that reach other participants only through the backplane, or would be accepted here while the offers
/// and pushes it starts cannot be delivered. Reads (GET, HEAD) are served from the grains, which still answer, and so is
/// authentication (<c>/api/auth/*</c>): issuing a token pushes nothing, and clients are ready once Redis is back.
/// </summary>
public static class BackplaneGate
{
    /// <summary>Refuses REST writes while <see cref="BackplaneHealth.Down"/>; after the problem handler, before the endpoints.</summary>
    public static WebApplication UseBackplaneGate(this WebApplication app)
    {
        var backplane = app.Services.GetRequiredService<BackplaneHealth>();
        app.Use(async (http, next) =>
        {
            // Answered here rather than thrown: an expected refusal during an outage, not a failure to log with a stack.
            if (backplane.Down && NeedsBackplane(http))
            {
                await Api.Problems.Of(HotlineException.Codes.Unavailable, "the message bus (Redis) does not answer, try again").ExecuteAsync(http);
                return;
            }
            await next();
        });
        return app;
    }

    // Only requests that reached an endpoint: an unknown path stays a 404.
    private static bool NeedsBackplane(HttpContext http) => http.GetEndpoint() is not null
        && !(HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method) || HttpMethods.IsOptions(http.Request.Method))
        && http.Request.Path.StartsWithSegments("/api") && !http.Request.Path.StartsWithSegments("/api/auth");
}
