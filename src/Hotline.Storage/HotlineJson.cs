using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hotline.Storage;

/// <summary>The JSON options of grain state payloads.</summary>
public static class HotlineJson
{
    /// <summary>
    /// Web-independent options: enums as strings (numbers still read), public get/set, init-only and required
    /// properties and constructor parameters (records); get-only collection properties are populated in place.
    /// Fields are not serialised. Read-only after first use.
    /// </summary>
    public static JsonSerializerOptions Options { get; } = Create();

    /// <summary>A fresh, mutable copy of the default options.</summary>
    public static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.General)
        {
            PropertyNameCaseInsensitive = true,
            PreferredObjectCreationHandling = JsonObjectCreationHandling.Populate,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            WriteIndented = false,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        return options;
    }
}
