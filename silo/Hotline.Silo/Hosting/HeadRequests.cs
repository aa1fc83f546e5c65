using Microsoft.AspNetCore.Http.Features;

namespace Hotline.Silo.Hosting;

/// <summary>
/// HEAD is answered as the GET of the same path without its body (RFC 9110 section 9.3.2). Minimal API endpoints are
/// mapped for GET only, so without this a monitoring probe's HEAD got 405 (and once 500).
/// </summary>
public static class HeadRequests
{
    /// <summary>Must run before <c>UseRouting</c> so the GET endpoint is the one matched.</summary>
    public static WebApplication UseHeadAsGet(this WebApplication app)
    {
        app.Use(async (http, next) =>
        {
            if (!HttpMethods.IsHead(http.Request.Method))
            {
                await next();
                return;
            }
            http.Request.Method = HttpMethods.Get;
            var original = http.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
            // Headers (Content-Type, Content-Length) stay those of the GET; the body bytes go nowhere.
            http.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(Stream.Null, original));
            try
            {
                await next();
            }
            finally
            {
                http.Features.Set(original);
                http.Request.Method = HttpMethods.Head;
            }
        });
        return app;
    }
}
