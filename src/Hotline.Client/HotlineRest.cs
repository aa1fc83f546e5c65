using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hotline.Client;

/// <summary>The REST half of the contract.</summary>
public sealed class HotlineRest(HttpClient http)
{
    /// <summary>Contract JSON: camelCase (enums travel as strings in these client models).</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public HttpClient Http { get; } = http;

    public Task<WorkerToken> CreateWorker(string? displayName = null, string? phone = null)
        => Send<WorkerToken>(HttpMethod.Post, "/api/auth/worker", null, new { displayName, phone });

    /// <summary>A fresh 30-day token for the worker whose (still valid) token this is: same identity, same consultations.</summary>
    public Task<RenewedToken> RenewWorker(string token) => Send<RenewedToken>(HttpMethod.Post, "/api/auth/renew", token);

    public Task<LoginResult> Login(string username, string password)
        => Send<LoginResult>(HttpMethod.Post, "/api/auth/login", null, new { username, password });

    public Task<Consultation> OpenConsultation(string token, string category, string dialect, string summary, string? channel = null,
        string? employer = null, string? region = null)
        => Send<Consultation>(HttpMethod.Post, "/api/consultations", token, new { category, dialect, summary, channel, employer, region });

    public Task<Consultation> GetConsultation(string token, string id) => Send<Consultation>(HttpMethod.Get, $"/api/consultations/{id}", token);

    public Task<IReadOnlyList<ChatMessage>> GetMessages(string token, string id, long afterSeq = 0, int limit = 100)
        => Send<IReadOnlyList<ChatMessage>>(HttpMethod.Get, $"/api/consultations/{id}/messages?afterSeq={afterSeq}&limit={limit}", token);

    public Task<MetricsSnapshot> GetMetrics(string adminToken) => Send<MetricsSnapshot>(HttpMethod.Get, "/api/admin/metrics", adminToken);

    public Task<IReadOnlyList<Lawyer>> GetLawyers(string adminToken) => Send<IReadOnlyList<Lawyer>>(HttpMethod.Get, "/api/admin/lawyers", adminToken);

    public Task<Lawyer> CreateLawyer(string adminToken, string username, string password, string displayName, IReadOnlyList<string> skills, IReadOnlyList<string> dialects, int capacity)
        => Send<Lawyer>(HttpMethod.Post, "/api/admin/lawyers", adminToken, new { username, password, displayName, skills, dialects, capacity });

    public Task<Consultation> PhoneCall(string apiKey, string callerNumber, string category, string dialect, bool? callback = null)
        => Send<Consultation>(HttpMethod.Post, "/api/hotline/calls", null, new { callerNumber, category, dialect, callback }, apiKey);

    /// <summary>The gateway polls a call: position, estimate, the lawyer to bridge to.</summary>
    public Task<PhoneCallStatus> GetCall(string apiKey, string id, CancellationToken cancellationToken = default)
        => Send<PhoneCallStatus>(HttpMethod.Get, $"/api/hotline/calls/{id}", null, null, apiKey, cancellationToken);

    /// <summary>The caller hung up (with <paramref name="callback"/>: asked to be called back).</summary>
    public Task<Consultation> Hangup(string apiKey, string id, bool? callback = null, CancellationToken cancellationToken = default)
        => Send<Consultation>(HttpMethod.Post, $"/api/hotline/calls/{id}/hangup", null, new { callback }, apiKey, cancellationToken);

    /// <summary>Whether lawyers are on duty now, how many are online, when the next shift starts.</summary>
    public Task<DutyStatus> GetDuty() => Send<DutyStatus>(HttpMethod.Get, "/api/duty", null);

    public Task<IReadOnlyList<Alert>> GetAlerts(string adminToken, string? status = null)
        => Send<IReadOnlyList<Alert>>(HttpMethod.Get, "/api/admin/alerts" + (status is null ? "" : "?status=" + Uri.EscapeDataString(status)), adminToken);

    public Task<Alert> AlertAction(string adminToken, string alertId, string action)
        => Send<Alert>(HttpMethod.Post, $"/api/admin/alerts/{Uri.EscapeDataString(alertId)}/{action}", adminToken);

    public Task<Lawyer> UpdateLawyer(string adminToken, string lawyerId, object changes)
        => Send<Lawyer>(HttpMethod.Put, $"/api/admin/lawyers/{Uri.EscapeDataString(lawyerId)}", adminToken, changes);

    /// <summary>Sends a request and maps problem+json answers to <see cref="HotlineApiException"/>.</summary>
    public async Task<T> Send<T>(HttpMethod method, string path, string? token, object? body = null, string? apiKey = null, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (apiKey is not null) request.Headers.Add("X-Api-Key", apiKey);
        if (body is not null) request.Content = JsonContent.Create(body, options: Json);
        using var response = await Http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var code = "http_" + (int)response.StatusCode;
            var detail = response.ReasonPhrase ?? "";
            try
            {
                using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
                if (doc.RootElement.TryGetProperty("code", out var c)) code = c.GetString() ?? code;
                if (doc.RootElement.TryGetProperty("detail", out var d)) detail = d.GetString() ?? detail;
            }
            catch (JsonException) { }
            throw new HotlineApiException((int)response.StatusCode, code, detail);
        }
        return (await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken))!;
    }
}
