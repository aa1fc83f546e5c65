using System.Text.RegularExpressions;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Hotline.Silo.Hubs;

/// <summary>
/// Every hub error a client sees starts with a stable code. <see cref="HubErrorFilter"/> codes what hub methods throw;
/// the errors SignalR writes itself, before a method runs (arguments that do not bind, a wrong argument count, an
/// unknown method, a stream invocation of a plain method), are the caller's mistakes: they get <c>validation_failed</c>
/// here, on their way out through the hub protocol.
/// </summary>
public static partial class CodedHubErrors
{
    [GeneratedRegex("^[a-z_]+: ")]
    private static partial Regex Coded();

    /// <summary>The message itself, or a completion whose uncoded error is prefixed with <c>validation_failed</c>.</summary>
    public static HubMessage Code(HubMessage message) =>
        message is CompletionMessage { Error: { } error } completion && !Coded().IsMatch(error)
            ? CompletionMessage.WithError(completion.InvocationId!, "validation_failed: " + error)
            : message;
}
