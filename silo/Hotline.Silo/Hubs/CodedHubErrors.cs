using System.Text.RegularExpressions;
using Hotline.Abstractions;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Hotline.Silo.Hubs;

/// <summary>
/// Every hub error a client sees carries a stable code. <see cref="HubErrorFilter"/> codes what hub methods throw
/// (SignalR sends those as "... HubException: code: detail"); the errors SignalR writes itself, before a method runs
/// (arguments that do not bind, a wrong argument count, an unknown method, a stream invocation of a plain method), are
/// the caller's mistakes: on their way out through the hub protocol they get the same shape with <c>validation_failed</c>.
/// </summary>
public static partial class CodedHubErrors
{
    private const string Marker = "HubException: ";

    [GeneratedRegex("(^|HubException: )[a-z_]+: ")]
    private static partial Regex Coded();

    /// <summary>The message itself, or a completion whose uncoded error is given the code <c>validation_failed</c>.</summary>
    public static HubMessage Code(HubMessage message) =>
        message is CompletionMessage { Error: { } error } completion && !Coded().IsMatch(error)
            ? CompletionMessage.WithError(completion.InvocationId!,
                $"The call was refused. {Marker}{HotlineException.Codes.Validation}: {error.Replace(Marker, "", StringComparison.Ordinal)}")
            : message;
}
