using System.Buffers;
using System.Text.Json;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace Hotline.Client;

/// <summary>Which SignalR hub protocol a <see cref="HotlineConnection"/> speaks. The server offers both; JSON is the default.</summary>
public enum HubProtocolKind
{
    /// <summary>The JSON hub protocol (text frames).</summary>
    Json,
    /// <summary>The MessagePack hub protocol (binary frames), same shapes as JSON.</summary>
    MessagePack,
}

/// <summary>
/// The client's MessagePack options: the server writes the contract's shapes (camelCase keys, enums and instants as
/// strings), so a payload is read as JSON and decoded by the same rules as with the JSON protocol: the client's own
/// shapes (events, results) are copied to JSON text and deserialised from it in one pass, a <see cref="JsonElement"/>
/// is read as one. Arguments are written contractless (records and anonymous objects as maps of their property names).
/// </summary>
public static class MessagePackJson
{
    /// <summary>Serializer options for <c>AddMessagePackProtocol</c>.</summary>
    public static MessagePackSerializerOptions Options { get; } = MessagePackSerializerOptions.Standard
        .WithResolver(CompositeResolver.Create([JsonElementFormatter.Instance], [JsonShapeResolver.Instance, ContractlessStandardResolver.Instance]))
        .WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>True for the client's own shapes (records of this assembly), which <see cref="Options"/> reads through JSON directly.</summary>
    internal static bool DecodesDirectly(Type type) => type.IsClass && !type.IsAbstract && type.Assembly == typeof(MessagePackJson).Assembly
        && !typeof(Exception).IsAssignableFrom(type);

    // One JSON buffer per thread for the copies (a payload is copied and deserialised before the next one is read).
    [ThreadStatic] private static ArrayBufferWriter<byte>? _buffer;
    [ThreadStatic] private static Utf8JsonWriter? _writer;

    /// <summary>Reads one MessagePack value into <typeparamref name="T"/> through its JSON shape, as the JSON protocol would.</summary>
    private static T? Decode<T>(ref MessagePackReader reader)
    {
        var buffer = _buffer ??= new ArrayBufferWriter<byte>(1024);
        var json = _writer ??= new Utf8JsonWriter(buffer);
        buffer.ResetWrittenCount();
        json.Reset(buffer);
        try
        {
            Copy(ref reader, json, 0);
            json.Flush();
            return JsonSerializer.Deserialize<T>(buffer.WrittenSpan, HotlineConnection.EventJson);
        }
        finally
        {
            // A rare large payload does not keep its buffer for the thread's lifetime.
            if (buffer.Capacity > 64 * 1024) (_buffer, _writer) = (null, null);
        }
    }

    /// <summary>Reads one MessagePack value as JSON.</summary>
    public static JsonElement ToJson(ref MessagePackReader reader)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer)) Copy(ref reader, json, 0);
        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    private static void Copy(ref MessagePackReader reader, Utf8JsonWriter json, int depth)
    {
        if (depth > 64) throw new MessagePackSerializationException("MessagePack payload nested too deeply");
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil: reader.ReadNil(); json.WriteNullValue(); break;
            case MessagePackType.Boolean: json.WriteBooleanValue(reader.ReadBoolean()); break;
            case MessagePackType.Integer: json.WriteNumberValue(reader.ReadInt64()); break;
            case MessagePackType.Float: json.WriteNumberValue(reader.ReadDouble()); break;
            case MessagePackType.String: json.WriteStringValue(reader.ReadString()); break;
            case MessagePackType.Binary: json.WriteBase64StringValue(reader.ReadBytes()!.Value.ToArray()); break;
            case MessagePackType.Array:
                json.WriteStartArray();
                for (int i = 0, n = reader.ReadArrayHeader(); i < n; i++) Copy(ref reader, json, depth + 1);
                json.WriteEndArray();
                break;
            case MessagePackType.Map:
                json.WriteStartObject();
                for (int i = 0, n = reader.ReadMapHeader(); i < n; i++)
                {
                    json.WritePropertyName(reader.ReadString() ?? "");
                    Copy(ref reader, json, depth + 1);
                }
                json.WriteEndObject();
                break;
            default: throw new MessagePackSerializationException($"unexpected MessagePack type {reader.NextMessagePackType}");
        }
    }

    private sealed class JsonShapeResolver : IFormatterResolver
    {
        public static readonly JsonShapeResolver Instance = new();
        public IMessagePackFormatter<T>? GetFormatter<T>() => Cache<T>.Formatter;

        private static class Cache<T>
        {
            public static readonly IMessagePackFormatter<T>? Formatter = DecodesDirectly(typeof(T)) ? new JsonShapeFormatter<T>() : null;
        }
    }

    /// <summary>Reads a client shape through JSON; writes it contractless (as before: the client rarely sends one).</summary>
    private sealed class JsonShapeFormatter<T> : IMessagePackFormatter<T>
    {
        public T Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
            => reader.TryReadNil() ? default! : Decode<T>(ref reader)!;

        public void Serialize(ref MessagePackWriter writer, T value, MessagePackSerializerOptions options)
            => ContractlessStandardResolver.Instance.GetFormatterWithVerify<T>().Serialize(ref writer, value, options);
    }

    private sealed class JsonElementFormatter : IMessagePackFormatter<JsonElement>
    {
        public static readonly JsonElementFormatter Instance = new();
        public JsonElement Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => ToJson(ref reader);
        public void Serialize(ref MessagePackWriter writer, JsonElement value, MessagePackSerializerOptions options)
            => throw new NotSupportedException("the client never sends raw JSON");
    }
}
