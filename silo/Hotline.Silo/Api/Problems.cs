using Hotline.Abstractions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Hotline.Silo.Api;

/// <summary>RFC 7807 problem details with a stable <c>code</c> extension.</summary>
public static class Problems
{
    /// <summary>The code of a 405 answer (a method the path does not serve).</summary>
    public const string MethodNotAllowed = "method_not_allowed";

    public static IResult Of(string code, string detail)
    {
        var status = code switch
        {
            HotlineException.Codes.Validation => StatusCodes.Status400BadRequest,
            HotlineException.Codes.NotFound => StatusCodes.Status404NotFound,
            HotlineException.Codes.Forbidden => StatusCodes.Status403Forbidden,
            HotlineException.Codes.Conflict => StatusCodes.Status409Conflict,
            HotlineException.Codes.RateLimited => StatusCodes.Status429TooManyRequests,
            ConsultationEndpoints.TooManyOpen => StatusCodes.Status429TooManyRequests,
            "payload_too_large" => StatusCodes.Status413PayloadTooLarge,
            HotlineException.Codes.Unavailable => StatusCodes.Status503ServiceUnavailable,
            "unauthorized" => StatusCodes.Status401Unauthorized,
            MethodNotAllowed => StatusCodes.Status405MethodNotAllowed,
            _ => StatusCodes.Status500InternalServerError,
        };
        return Results.Problem(detail: detail, statusCode: status, title: code.Replace('_', ' '), extensions: new Dictionary<string, object?> { ["code"] = code });
    }

    /// <summary>Maps exceptions that escape an endpoint to problem details.</summary>
    public static void UseHotlineProblems(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Hotline.Api");
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // Client errors (bad input, forbidden, not found...) are not failures of the server: no error log with a stack
            // trace for them; one Information line instead (below). Real failures keep the stock error log.
            SuppressDiagnosticsCallback = c => IsClientError(c.Exception),
            // not_found is a deliberate answer of this handler; without this a 404 whose body never started (HEAD) was
            // taken for a failed handler and turned into a 500.
            AllowStatusCode404Response = true,
            ExceptionHandler = async context =>
            {
                var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
                var result = error switch
                {
                    HotlineException e => Of(e.Code, e.Message),
                    BadHttpRequestException { StatusCode: 413 } => Of("payload_too_large", "the request body is too large"),
                    BadHttpRequestException e => Of(HotlineException.Codes.Validation, e.Message),
                    System.Text.Json.JsonException => Of(HotlineException.Codes.Validation, "malformed JSON body"),
                    { } e when ErrorCodes.IsUnavailable(e) => Of(HotlineException.Codes.Unavailable, "temporarily unavailable, try again"),
                    _ => Of("internal_error", "unexpected failure"),
                };
                if (error is not null && IsClientError(error))
                    logger.LogInformation("{Method} {Path}: {Code}", context.Request.Method, context.Request.Path.Value,
                        error is HotlineException h ? h.Code : error.GetType().Name);
                await result.ExecuteAsync(context);
            },
        });
        app.UseStatusCodePages(async status =>
        {
            var http = status.HttpContext;
            if (http.Response.HasStarted || http.Response.ContentLength > 0) return;
            var code = http.Response.StatusCode switch
            {
                400 => HotlineException.Codes.Validation,
                401 => "unauthorized",
                403 => HotlineException.Codes.Forbidden,
                404 => HotlineException.Codes.NotFound,
                405 => MethodNotAllowed,
                // A body over Kestrel's limit, refused while the endpoint binds it.
                413 => "payload_too_large",
                415 => HotlineException.Codes.Validation,
                429 => HotlineException.Codes.RateLimited,
                _ => null,
            };
            if (code is not null) await Of(code, ReasonPhrase(http.Response.StatusCode)).ExecuteAsync(http);
        });
    }

    /// <summary>Errors caused by the request, not by the server.</summary>
    public static bool IsClientError(Exception? e) => e is BadHttpRequestException or System.Text.Json.JsonException
        || (e is HotlineException h && h.Code != HotlineException.Codes.Unavailable);

    private static string ReasonPhrase(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
}
