using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Hotline.Client;

/// <summary>
/// The hub protocol of a <see cref="HotlineConnection"/>: the JSON or MessagePack protocol, which decodes each event
/// straight into its typed shape (once), plus what the connection observes on the way in. An event whose payload does not
/// bind to its shape (a contract mismatch) reaches SignalR as a binding failure, which the client only logs and drops:
/// here it goes to <see cref="HotlineConnection.DecodeErrors"/>. With <see cref="HotlineConnection.RecordRawEvents"/> on,
/// the same frame is also read as JSON into <see cref="HotlineConnection.RawEvents"/> (a second decode, opt-in).
/// </summary>
internal sealed class EventProtocol(IHubProtocol inner, HotlineConnection owner) : IHubProtocol
{
    public string Name => inner.Name;
    public int Version => inner.Version;
    public TransferFormat TransferFormat => inner.TransferFormat;
    public bool IsVersionSupported(int version) => inner.IsVersionSupported(version);
    public void WriteMessage(HubMessage message, IBufferWriter<byte> output) => inner.WriteMessage(message, output);
    public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message) => inner.GetMessageBytes(message);

    public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message)
    {
        var frame = input;
        var arrived = owner.MessageArrived is null ? 0 : Stopwatch.GetTimestamp();
        if (!inner.TryParseMessage(ref input, binder, out message)) return false;
        switch (message)
        {
            case InvocationMessage invocation when HotlineConnection.IsEvent(invocation.Target):
                if (owner.RecordRawEvents) RecordRaw(frame.Slice(frame.Start, input.Start));
                if (arrived != 0 && invocation.Arguments is [ChatMessage chat])
                    owner.MessageArrived?.Invoke(chat.ClientMessageId, arrived);
                break;
            case InvocationBindingFailureMessage failure when HotlineConnection.IsEvent(failure.Target):
                if (owner.RecordRawEvents) RecordRaw(frame.Slice(frame.Start, input.Start));
                var error = failure.BindingFailure.SourceException;
                // The protocols wrap the decoder's exception in their own ("Error binding arguments..."): name the cause.
                var cause = error.InnerException ?? error;
                owner.DecodeErrors.Add(new InvalidDataException($"{failure.Target}: {cause.Message}", error));
                break;
        }
        return true;
    }

    /// <summary>Reads one frame again, its argument as JSON (the MessagePack protocol's JSON element formatter for MessagePack).</summary>
    private void RecordRaw(ReadOnlySequence<byte> frame)
    {
        if (inner.TryParseMessage(ref frame, RawBinder.Instance, out var raw) && raw is InvocationMessage { Arguments: [JsonElement payload] } invocation)
            owner.RawEvents.Add(new RawEvent(invocation.Target, payload));
    }

    /// <summary>Binds every event's single argument as a <see cref="JsonElement"/>.</summary>
    private sealed class RawBinder : IInvocationBinder
    {
        public static readonly RawBinder Instance = new();
        private static readonly Type[] Json = [typeof(JsonElement)];
        public IReadOnlyList<Type> GetParameterTypes(string methodName) => Json;
        public Type GetReturnType(string invocationId) => typeof(object);
        public Type GetStreamItemType(string streamId) => typeof(object);
    }
}
