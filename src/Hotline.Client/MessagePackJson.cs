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
/// strings), so every payload is read as a <see cref="JsonElement"/> and decoded by the same code as with JSON.
/// Arguments are written contractless (records and anonymous objects as maps of their property names).
/// </summary>
public static class MessagePackJson
{
    /// <summary>Serializer options for <c>AddMessagePackProtocol</c>.</summary>
    public static MessagePackSerializerOptions Options { get; } = MessagePackSerializerOptions.Standard
        .WithResolver(CompositeResolver.Create([JsonElementFormatter.Instance], [ContractlessStandardResolver.Instance]))
        .WithSecurity(MessagePackSecurity.UntrustedData);

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

    private sealed class JsonElementFormatter : IMessagePackFormatter<JsonElement>
    {
        public static readonly JsonElementFormatter Instance = new();
        public JsonElement Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => ToJson(ref reader);
        public void Serialize(ref MessagePackWriter writer, JsonElement value, MessagePackSerializerOptions options)
            => throw new NotSupportedException("the client never sends raw JSON");
    }
}
