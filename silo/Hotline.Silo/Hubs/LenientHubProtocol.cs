using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Hotline.Silo.Hubs;

/// <summary>
/// Any hub protocol (JSON, MessagePack), plus the contract's optional trailing arguments: SignalR binds hub arguments
/// strictly by count, so <c>CloseConsultation(id)</c> would fail although the contract writes <c>CloseConsultation(id,
/// rating?, comment?)</c>. An invocation of one of <see cref="MethodsWithOptionalArguments"/> that fails to bind is parsed
/// again against shorter parameter lists whose omitted parameters all accept null, longest first, and padded with nulls;
/// everything else passes through untouched (and costs nothing extra: the retry runs only after a binding failure).
/// </summary>
public sealed class LenientHubProtocol(IHubProtocol inner) : IHubProtocol
{
    /// <summary>Hub methods whose trailing parameters are optional in the contract.</summary>
    public static readonly string[] MethodsWithOptionalArguments = ["CloseConsultation", "RateConsultation"];

    public string Name => inner.Name;
    public int Version => inner.Version;
    public TransferFormat TransferFormat => inner.TransferFormat;
    public bool IsVersionSupported(int version) => inner.IsVersionSupported(version);
    public void WriteMessage(HubMessage message, IBufferWriter<byte> output) => inner.WriteMessage(CodedHubErrors.Code(message), output);
    public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message) => inner.GetMessageBytes(CodedHubErrors.Code(message));

    public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message)
    {
        // SignalR skips a record of a message type it does not know (room for newer protocol versions) by answering
        // "no message" with the record consumed; the connection's read loop then stops until more bytes arrive, and a call
        // that came in the same read would wait. Go on to the next record instead.
        while (true)
        {
            var before = input.Length;
            if (TryParseOne(ref input, binder, out message)) return true;
            if (input.IsEmpty || input.Length == before) return false;
        }
    }

    private bool TryParseOne(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message)
    {
        var frame = input;
        if (!inner.TryParseMessage(ref input, binder, out message)) return false;
        if (message is not InvocationBindingFailureMessage failure || !MethodsWithOptionalArguments.Contains(failure.Target))
            return true;
        IReadOnlyList<Type> parameters;
        try { parameters = binder.GetParameterTypes(failure.Target); }
        catch (Exception) { return true; }
        for (var given = parameters.Count - 1; given >= 1; given--)
        {
            var omitted = parameters[given];
            if (omitted.IsValueType && Nullable.GetUnderlyingType(omitted) is null) break;
            // The same frame again (input has already moved past it), bound against the first `given` parameters.
            var retry = frame;
            if (inner.TryParseMessage(ref retry, new TruncatedBinder(binder, failure.Target, parameters.Take(given).ToArray()), out var parsed)
                && parsed is InvocationMessage invocation)
            {
                var arguments = invocation.Arguments.Concat(Enumerable.Repeat<object?>(null, parameters.Count - given)).ToArray();
                message = new InvocationMessage(invocation.InvocationId, invocation.Target, arguments, invocation.StreamIds)
                {
                    Headers = invocation.Headers,
                };
                return true;
            }
        }
        return true;
    }

    /// <summary>The hub's binder, except that one method reports fewer parameters.</summary>
    private sealed class TruncatedBinder(IInvocationBinder inner, string target, IReadOnlyList<Type> parameters) : IInvocationBinder
    {
        public Type GetReturnType(string invocationId) => inner.GetReturnType(invocationId);
        public IReadOnlyList<Type> GetParameterTypes(string methodName) =>
            methodName == target ? parameters : inner.GetParameterTypes(methodName);
        public Type GetStreamItemType(string streamId) => inner.GetStreamItemType(streamId);
    }
}
