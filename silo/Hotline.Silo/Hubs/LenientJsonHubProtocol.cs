using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Options;

namespace Hotline.Silo.Hubs;

/// <summary>
/// The JSON hub protocol, plus the contract's optional trailing arguments: SignalR binds hub arguments strictly by
/// count, so <c>CloseConsultation(id)</c> would fail although the contract writes <c>CloseConsultation(id, rating?,
/// comment?)</c>. An invocation of one of <see cref="MethodsWithOptionalArguments"/> that omits trailing arguments
/// gets them as null (only where the parameter accepts null); everything else passes through untouched.
/// </summary>
public sealed class LenientJsonHubProtocol(IOptions<JsonHubProtocolOptions> options) : IHubProtocol
{
    /// <summary>Hub methods whose trailing parameters are optional in the contract.</summary>
    public static readonly string[] MethodsWithOptionalArguments = ["CloseConsultation", "RateConsultation"];
    private static readonly byte[][] Needles = MethodsWithOptionalArguments.Select(m => Encoding.UTF8.GetBytes($"\"{m}\"")).ToArray();
    private const byte RecordSeparator = 0x1e;
    private readonly JsonHubProtocol _inner = new(options);

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
        if (input.PositionOf(RecordSeparator) is not { } end)
        {
            message = null;
            return false;
        }
        var padded = Pad(input.Slice(0, end), binder);
        if (padded is null) return _inner.TryParseMessage(ref input, binder, out message);
        var frame = new ReadOnlySequence<byte>(padded);
        var parsed = _inner.TryParseMessage(ref frame, binder, out message);
        input = input.Slice(input.GetPosition(1, end));
        return parsed;
    }

    /// <summary>The frame with missing nullable trailing arguments added, or null to parse the frame as it is.</summary>
    private static byte[]? Pad(ReadOnlySequence<byte> frame, IInvocationBinder binder)
    {
        var bytes = frame.IsSingleSegment ? frame.FirstSpan : frame.ToArray();
        var mentioned = false;
        foreach (var needle in Needles) mentioned |= bytes.IndexOf(needle) >= 0;
        if (!mentioned) return null;
        if (JsonNode.Parse(bytes) is not JsonObject invocation
            || invocation["type"]?.GetValueKind() != System.Text.Json.JsonValueKind.Number || invocation["type"]!.GetValue<int>() != HubProtocolConstants.InvocationMessageType
            || invocation["target"]?.GetValue<string>() is not { } target || !MethodsWithOptionalArguments.Contains(target)
            || invocation["arguments"] is not JsonArray arguments)
            return null;
        IReadOnlyList<Type> parameters;
        try { parameters = binder.GetParameterTypes(target); }
        catch (Exception) { return null; }
        if (arguments.Count >= parameters.Count) return null;
        for (var i = arguments.Count; i < parameters.Count; i++)
        {
            if (parameters[i].IsValueType && Nullable.GetUnderlyingType(parameters[i]) is null) return null;
            arguments.Add(null);
        }
        return [.. Encoding.UTF8.GetBytes(invocation.ToJsonString()), RecordSeparator];
    }
}
