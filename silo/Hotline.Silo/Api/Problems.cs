using Hotline.Abstractions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Hotline.Silo.Api;

/// <summary>RFC 7807 problem details with a stable <c>code</c> extension.</summary>
public static class Problems
{
    public static IResult Of(string code, string detail)
    {
        var status = code switch
        {
            HotlineException.Codes.Validation => StatusCodes.Status400BadRequest,
            HotlineException.Codes.NotFound => StatusCodes.Status404NotFound,
            HotlineException.Codes.Forbidden => StatusCodes.Status403Forbidden,
            HotlineException.Codes.Conflict => StatusCodes.Status409Conflict,
            HotlineException.Codes.RateLimited => StatusCodes.Status429TooManyRequests,
            HotlineException.Codes.Unavailable => StatusCodes.Status503ServiceUnavailable,
            "unauthorized" => StatusCodes.Status401Unauthorized,
            _ => StatusCodes.Status500InternalServerError,
        };
        return Results.Problem(detail: detail, statusCode: status, title: code.Replace('_', ' '), extensions: new Dictionary<string, object?> { ["code"] = code });
    }

    /// <summary>Maps exceptions that escape an endpoint to problem details.</summary>
    public static void UseHotlineProblems(this WebApplication app)
    {
        app.UseExceptionHandler(handler => handler.Run(async context =>
        {
            var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            var result = error switch
            {
                HotlineException e => Of(e.Code, e.Message),
                BadHttpRequestException e => Of(HotlineException.Codes.Validation, e.Message),
                System.Text.Json.JsonException => Of(HotlineException.Codes.Validation, "malformed JSON body"),
                { } e when ErrorCodes.IsUnavailable(e) => Of(HotlineException.Codes.Unavailable, "temporarily unavailable, try again"),
                _ => Of("internal_error", "unexpected failure"),
            };
            await result.ExecuteAsync(context);
        }));
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
                405 => "method_not_allowed",
                415 => HotlineException.Codes.Validation,
                429 => HotlineException.Codes.RateLimited,
                _ => null,
            };
            if (code is not null) await Of(code, ReasonPhrase(http.Response.StatusCode)).ExecuteAsync(http);
        });
    }

    private static string ReasonPhrase(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
}
