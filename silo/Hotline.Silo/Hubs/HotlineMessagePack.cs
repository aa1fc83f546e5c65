using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace Hotline.Silo.Hubs;

/// <summary>
/// The MessagePack hub protocol's serializer options, writing the same shapes as the JSON protocol: camelCase keys (the
/// JSON contract's names, taken from the JSON options' own metadata), enums as their snake_case strings, instants as
/// ISO-8601 strings. A client therefore reads either protocol into the same objects, and the contract stays one.
/// Strings, numbers and booleans (all that hub methods take besides <c>TransferRequest</c>) use the stock formatters.
/// </summary>
public static class HotlineMessagePack
{
    /// <summary>Options for <c>AddMessagePackProtocol</c>, shaped by the JSON payload options <paramref name="json"/>.</summary>
    public static MessagePackSerializerOptions Create(JsonSerializerOptions json)
    {
        // The property names and enum strings come from these options' reflection metadata.
        json.TypeInfoResolver ??= new DefaultJsonTypeInfoResolver();
        json.MakeReadOnly();
        return MessagePackSerializerOptions.Standard.WithResolver(new JsonShapedResolver(json)).WithSecurity(MessagePackSecurity.UntrustedData);
    }

    private sealed class JsonShapedResolver(JsonSerializerOptions json) : IFormatterResolver
    {
        private readonly JsonShapeWriter _writer = new(json);
        private readonly ConcurrentDictionary<Type, object?> _formatters = new();

        public IMessagePackFormatter<T>? GetFormatter<T>() => (IMessagePackFormatter<T>?)_formatters.GetOrAdd(typeof(T), t =>
            IsScalar(t) ? StandardResolver.Instance.GetFormatterDynamic(t) : new JsonShapedFormatter<T>(_writer, json));

        private static bool IsScalar(Type t)
        {
            var u = Nullable.GetUnderlyingType(t) ?? t;
            return u == typeof(string) || (u.IsPrimitive && u != typeof(IntPtr) && u != typeof(UIntPtr)) || u == typeof(decimal);
        }
    }

    private sealed class JsonShapedFormatter<T>(JsonShapeWriter writer, JsonSerializerOptions json) : IMessagePackFormatter<T>
    {
        private readonly JsonSerializerOptions _read = new(json) { PropertyNameCaseInsensitive = true };

        public void Serialize(ref MessagePackWriter w, T value, MessagePackSerializerOptions options) => writer.Write(ref w, value);

        /// <summary>Objects a client sends (a transfer request): read as JSON, bound by the JSON contract.</summary>
        public T Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
            ReadNode(ref reader, 0).Deserialize<T>(_read)!;
    }

    private static JsonNode? ReadNode(ref MessagePackReader reader, int depth)
    {
        if (depth > 32) throw new MessagePackSerializationException("argument nested too deeply");
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil: reader.ReadNil(); return null;
            case MessagePackType.Boolean: return JsonValue.Create(reader.ReadBoolean());
            case MessagePackType.Integer: return JsonValue.Create(reader.ReadInt64());
            case MessagePackType.Float: return JsonValue.Create(reader.ReadDouble());
            case MessagePackType.String: return JsonValue.Create(reader.ReadString());
            case MessagePackType.Array:
                var array = new JsonArray();
                for (int i = 0, n = reader.ReadArrayHeader(); i < n; i++) array.Add(ReadNode(ref reader, depth + 1));
                return array;
            case MessagePackType.Map:
                var map = new JsonObject();
                for (int i = 0, n = reader.ReadMapHeader(); i < n; i++)
                {
                    var key = reader.ReadString() ?? "";
                    map[key] = ReadNode(ref reader, depth + 1);
                }
                return map;
            default: throw new MessagePackSerializationException($"unsupported MessagePack type {reader.NextMessagePackType}");
        }
    }

    /// <summary>Writes any payload as MessagePack in its JSON shape; property metadata comes from the JSON options.</summary>
    private sealed class JsonShapeWriter(JsonSerializerOptions json)
    {
        private readonly ConcurrentDictionary<Type, JsonPropertyInfo[]> _properties = new();
        private readonly ConcurrentDictionary<Enum, string> _enums = new();

        public void Write(ref MessagePackWriter w, object? value)
        {
            switch (value)
            {
                case null: w.WriteNil(); return;
                case string s: w.Write(s); return;
                case bool b: w.Write(b); return;
                case int i: w.Write(i); return;
                case long l: w.Write(l); return;
                case double d: w.Write(d); return;
                case float f: w.Write(f); return;
                case decimal m: w.Write((double)m); return;
                case short or ushort or byte or sbyte or uint: w.Write(Convert.ToInt64(value, CultureInfo.InvariantCulture)); return;
                case ulong ul: w.Write(ul); return;
                case DateTimeOffset at: w.Write(at.ToString("O", CultureInfo.InvariantCulture)); return;
                case DateTime dt: w.Write(dt.ToString("O", CultureInfo.InvariantCulture)); return;
                case TimeSpan ts: w.Write(ts.ToString("c", CultureInfo.InvariantCulture)); return;
                case Guid g: w.Write(g.ToString()); return;
                case Enum e: w.Write(_enums.GetOrAdd(e, x => JsonSerializer.Serialize(x, x.GetType(), json).Trim('"'))); return;
                case IDictionary dictionary:
                    w.WriteMapHeader(dictionary.Count);
                    foreach (DictionaryEntry entry in dictionary)
                    {
                        w.Write(Convert.ToString(entry.Key, CultureInfo.InvariantCulture));
                        Write(ref w, entry.Value);
                    }
                    return;
                case IEnumerable items:
                    var list = items as ICollection ?? items.Cast<object?>().ToList();
                    w.WriteArrayHeader(list.Count);
                    foreach (var item in list) Write(ref w, item);
                    return;
                default:
                    var properties = _properties.GetOrAdd(value.GetType(), t => json.GetTypeInfo(t).Properties.Where(p => p.Get is not null).ToArray());
                    w.WriteMapHeader(properties.Length);
                    foreach (var p in properties)
                    {
                        w.Write(p.Name);
                        Write(ref w, p.Get!(value));
                    }
                    return;
            }
        }
    }
}
