using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Hotline.Testing;

/// <summary>Plain SignalR connections (no reconnect, no resume) for tests that must see each answer of the server.</summary>
public static class Hubs
{
    /// <summary>A WebSocket hub connection (JSON protocol, camelCase, enums as strings) to <paramref name="baseUrl"/> +
    /// <paramref name="path"/> (e.g. <c>/hubs/worker</c>) with a bearer token; not started.</summary>
    public static HubConnection Raw(Uri baseUrl, string path, string token) =>
        new HubConnectionBuilder()
            .WithUrl(new Uri(baseUrl, path), o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
            })
            .AddJsonProtocol(o =>
            {
                o.PayloadSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
                o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter());
            })
            .Build();

    /// <summary>The code of a hub error "code: detail" (HubException message), or null when it has none.</summary>
    public static string? Code(Exception e)
    {
        var m = e.Message;
        var colon = m.IndexOf(':');
        return colon > 0 && m[..colon].All(c => char.IsAsciiLetterLower(c) || c == '_') ? m[..colon] : null;
    }
}
