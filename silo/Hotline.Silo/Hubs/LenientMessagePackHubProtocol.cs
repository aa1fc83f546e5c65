using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Options;

namespace Hotline.Silo.Hubs;

/// <summary>
/// The MessagePack hub protocol, plus the contract's optional trailing arguments (see
/// <see cref="LenientJsonHubProtocol"/>): an invocation of one of
/// <see cref="LenientJsonHubProtocol.MethodsWithOptionalArguments"/> that fails to bind because it omits trailing
/// nullable arguments is parsed again against the shorter parameter list and padded with nulls.
/// </summary>
public sealed class LenientMessagePackHubProtocol(IOptions<MessagePackHubProtocolOptions> options) : IHubProtocol
{
    private readonly MessagePackHubProtocol _inner = new(options);

    public string Name => _inner.Name;
    public int Version => _inner.Version;
    public TransferFormat TransferFormat => _inner.TransferFormat;
    public bool IsVersionSupported(int version) => _inner.IsVersionSupported(version);
    public void WriteMessage(HubMessage message, IBufferWriter<byte> output) => _inner.WriteMessage(CodedHubErrors.Code(message), output);
    public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message) => _inner.GetMessageBytes(CodedHubErrors.Code(message));

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
        if (!_inner.TryParseMessage(ref input, binder, out message)) return false;
        if (message is not InvocationBindingFailureMessage failure
            || !LenientJsonHubProtocol.MethodsWithOptionalArguments.Contains(failure.Target))
            return true;
        IReadOnlyList<Type> parameters;
        try { parameters = binder.GetParameterTypes(failure.Target); }
        catch (Exception) { return true; }
        // Try each shorter list whose omitted parameters all accept null, longest first.
        for (var given = parameters.Count - 1; given >= 1; given--)
        {
            var omitted = parameters[given];
            if (omitted.IsValueType && Nullable.GetUnderlyingType(omitted) is null) break;
            var retry = frame;
            if (_inner.TryParseMessage(ref retry, new TruncatedBinder(binder, failure.Target, parameters.Take(given).ToArray()), out var parsed)
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
