using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Hotline.Fuzz;

/// <summary>Who calls: the roles of the contract, plus a forged token.</summary>
public enum Caller { Anonymous, Worker, Lawyer, Admin, Gateway, Forged, FreshWorker }

/// <summary>One REST endpoint: its method, path (<c>{id}</c> filled from <see cref="Ids"/> or hostile segments), the
/// role that may call it, a valid body (field -> raw JSON) and its query parameters.</summary>
public sealed record Endpoint(string Method, string Path, Caller Role, IReadOnlyDictionary<string, string>? Body = null,
    string[]? Query = null, Func<World, string[]>? Ids = null);

/// <summary>Hostile requests at every REST endpoint; the oracle checks each answer.</summary>
public sealed class RestFuzz(World world, HttpClient http, Report report)
{
    public static readonly string[] Codes =
        ["validation_failed", "not_found", "forbidden", "conflict", "rate_limited", "unauthorized", "payload_too_large",
         "method_not_allowed", "too_many_open_consultations", "unavailable"];

    private static Dictionary<string, string> B(params (string Key, string Json)[] fields) => fields.ToDictionary(f => f.Key, f => f.Json);
    private static string S(string s) => Hostile.Str(s);

    /// <summary>Every endpoint of the contract and the extras the silo serves.</summary>
    public static readonly Endpoint[] Endpoints =
    [
        new("POST", "/api/auth/worker", Caller.Anonymous, B(("displayName", S("worker")), ("phone", S("13800000000")))),
        new("POST", "/api/auth/login", Caller.Anonymous, B(("username", S("nobody")), ("password", S("wrong-password")))),
        new("GET", "/api/catalog", Caller.Anonymous),
        new("GET", "/api/canned-replies", Caller.Lawyer),
        new("POST", "/api/consultations", Caller.Worker, B(("category", S("unpaid_wages")), ("dialect", S("hakka")), ("summary", S("fuzz case")),
            ("channel", S("web")), ("employer", S("某某公司")), ("region", S("fuzhou")))),
        new("GET", "/api/consultations/{id}", Caller.Worker, Ids: w => [w.Active, w.Queued]),
        new("GET", "/api/consultations/{id}/messages", Caller.Worker, Query: ["afterSeq", "limit"], Ids: w => [w.Active]),
        new("GET", "/api/consultations/{id}/notes", Caller.Lawyer, Ids: w => [w.Active]),
        new("GET", "/api/workers/me/consultations", Caller.Worker),
        new("DELETE", "/api/workers/me", Caller.FreshWorker),
        new("POST", "/api/workers/me/push", Caller.Worker, B(("endpoint", S("https://push.example.invalid/x")), ("keys", "{\"p256dh\":\"x\",\"auth\":\"y\"}"))),
        new("POST", "/api/hotline/calls", Caller.Gateway, B(("callerNumber", S("notanumber")), ("category", S("unpaid_wages")), ("dialect", S("hakka")),
            ("callback", "false"), ("employer", S("x")), ("region", S("fuzhou")))),
        new("GET", "/api/hotline/calls/{id}", Caller.Gateway, Ids: w => [w.Queued]),
        new("POST", "/api/hotline/calls/{id}/hangup", Caller.Gateway, B(("callback", "false")), Ids: w => [w.Queued]),
        new("GET", "/api/admin/metrics", Caller.Admin),
        new("GET", "/api/admin/lawyers", Caller.Admin),
        new("POST", "/api/admin/lawyers", Caller.Admin, B(("username", S("fuzz-new")), ("password", S("p")), ("displayName", S("x")),
            ("skills", "[\"unpaid_wages\"]"), ("dialects", "[\"hakka\"]"), ("capacity", "0"))),
        new("PUT", "/api/admin/lawyers/{id}", Caller.Admin, B(("displayName", S("Spare")), ("skills", "[\"dismissal\"]"), ("dialects", "[\"english\"]"),
            ("capacity", "1"), ("conflicts", "[]"), ("disabled", "false")), Ids: w => [w.SpareLawyerId]),
        new("POST", "/api/admin/lawyers/{id}/password", Caller.Admin, B(("password", S("x"))), Ids: w => [w.SpareLawyerId]),
        new("POST", "/api/admin/consultations/{id}/requeue", Caller.Admin, B(("toLawyerId", S("nobody"))), Ids: w => [w.Queued]),
        new("POST", "/api/admin/consultations/{id}/access", Caller.Admin, B(("reason", S("short"))), Ids: w => [w.Queued]),
        new("GET", "/api/admin/audit", Caller.Admin, Query: ["from", "to", "consultationId"]),
        new("GET", "/api/admin/reports/hourly", Caller.Admin, Query: ["from", "to", "format"]),
        new("GET", "/api/admin/alerts", Caller.Admin, Query: ["status"]),
        new("GET", "/api/admin/alerts/{id}", Caller.Admin),
        new("POST", "/api/admin/alerts/{id}/acknowledge", Caller.Admin),
        new("POST", "/api/admin/alerts/{id}/close", Caller.Admin),
        new("GET", "/api/admin/alerts/{id}/consultations", Caller.Admin),
        new("GET", "/api/admin/diagnostics/consistency", Caller.Admin),
        new("GET", "/api/admin/diagnostics/silo", Caller.Admin),
        new("GET", "/api/admin/diagnostics/runtime", Caller.Admin),
        new("GET", "/api/admin/diagnostics/grain-host", Caller.Admin, Query: ["consultationId"]),
        new("GET", "/api/duty", Caller.Anonymous),
        new("GET", "/api/push/key", Caller.Anonymous),
        new("GET", "/api/limits", Caller.Anonymous),
        new("GET", "/health/live", Caller.Anonymous),
        new("GET", "/health/ready", Caller.Anonymous),
        new("GET", "/metrics", Caller.Admin),
    ];

    private static readonly string[] Methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "FUZZ"];

    /// <summary>Whether HEAD is left out of the wrong methods tried.</summary>
    public bool SkipHead { get; init; }

    /// <summary>Builds one hostile request, sends it and judges the answer.</summary>
    public async Task One(Hostile h, CancellationToken cancellationToken)
    {
        var e = Endpoints[h.Rng.Next(Endpoints.Length)];
        var kind = new StringBuilder();
        var caller = h.Rng.Next(10) < 7 ? e.Role : (Caller)h.Rng.Next(7);
        // Erasing the fuzzer's own worker would end its consultations (a legitimate change, but the end of the run).
        if (e.Role == Caller.FreshWorker && caller == Caller.Worker) caller = Caller.FreshWorker;
        var method = h.Rng.Next(10) == 0 ? h.Pick(Methods) : e.Method;
        if (SkipHead && method == "HEAD") method = "PATCH";
        if (caller != e.Role) kind.Append("role ");
        if (method != e.Method) kind.Append("method ");

        var path = e.Path;
        if (path.Contains("{id}"))
        {
            var ids = e.Ids?.Invoke(world) ?? [];
            path = path.Replace("{id}", ids.Length > 0 && h.Rng.Next(10) < 6 ? Uri.EscapeDataString(h.Pick(ids)) : h.Segment());
        }
        var query = new List<string>();
        foreach (var q in e.Query ?? [])
            if (h.Rng.Next(2) == 0) query.Add($"{q}={h.QueryValue()}");
        if (h.Rng.Next(20) == 0) query.Add($"{h.Pick("afterSeq", "limit", "x", "%00")}={h.QueryValue()}&{h.Pick("afterSeq", "limit")}=1");
        if (query.Count > 0) { path += "?" + string.Join("&", query); kind.Append("query "); }

        var oversize = false;
        byte[]? body = null;
        string? bodyType = null;
        if (e.Body is not null || h.Rng.Next(10) == 0)
        {
            var (bytes, contentType, what) = Body(h, e.Body ?? new Dictionary<string, string>());
            // Over the 64 KB body limit: the server may answer 413 and close before the body is sent (a reset is expected).
            oversize = bytes.Length > 64 * 1024;
            kind.Append("body:").Append(what).Append(' ');
            if (method is not ("GET" or "HEAD" or "TRACE") || h.Rng.Next(4) == 0) (body, bodyType) = (bytes, contentType);
        }
        async Task<HttpRequestMessage> Build()
        {
            var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (body is not null)
            {
                request.Content = new ByteArrayContent(body);
                if (bodyType is not null) request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(bodyType);
            }
            await Authorize(request, caller, h);
            return request;
        }

        var label = $"REST {method} {Trim(path)} as {caller} [{kind.ToString().Trim()}]";
        HttpResponseMessage? response = null;
        // A pooled connection that the server closed after an earlier answer (e.g. a 413 before the body was read) fails
        // the next request sent on it before it reaches the server: one retry on a fresh connection tells that apart from
        // a request the server left unanswered.
        for (var attempt = 1; response is null; attempt++)
        {
            using var request = await Build();
            try
            {
                response = await http.SendAsync(request, cancellationToken);
            }
            catch (HttpRequestException) when (oversize || method == "TRACE")
            {
                report.Count("rest:reset(expected)");
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                if (attempt == 1 && ex is HttpRequestException) { report.Count("rest:retried-after-connection-error"); continue; }
                report.Finding("no answer", label, $"{ex.GetType().Name}: {ex.Message} ({ex.InnerException?.Message}); body {body?.Length ?? 0} bytes");
                return;
            }
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            report.Count($"rest:{status}");
            if (status >= 500)
            {
                report.Finding($"HTTP {status}", label, Trim(text));
                return;
            }
            if (status >= 400)
            {
                Judge(label, status, response, text, method);
                return;
            }
            report.Accepted($"{e.Method} {e.Path}", label);
            if (status == 201 && method == "POST" && e.Path == "/api/admin/lawyers") report.Count("state:lawyers-created");
            if (status == 201 && method == "POST" && e.Path == "/api/consultations" && caller == Caller.Worker) report.Count("state:worker-consultations-created");
        }
    }

    private void Judge(string label, int status, HttpResponseMessage response, string text, string method)
    {
        // Kestrel answers these before any middleware runs (no body by design).
        // (A NUL in the path is refused by Kestrel with a bare 400.)
        if (status is 414 or 431 || (method == "HEAD" && text.Length == 0) || (status == 400 && text.Length == 0 && label.Contains("%00", StringComparison.Ordinal)))
        {
            report.Count("rest:kestrel-" + status);
            return;
        }
        var type = response.Content.Headers.ContentType?.MediaType;
        if (type != "application/problem+json")
        {
            report.Finding($"HTTP {status} without problem details", label, $"content-type {type}: {Trim(text)}");
            return;
        }
        try
        {
            using var doc = JsonDocument.Parse(text);
            var code = doc.RootElement.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            if (code is null || !Codes.Contains(code)) report.Finding($"HTTP {status} with code '{code}'", label, Trim(text));
            else report.Count("code:" + code);
        }
        catch (JsonException)
        {
            report.Finding($"HTTP {status} with a malformed problem", label, Trim(text));
        }
    }

    private (byte[] Bytes, string? ContentType, string What) Body(Hostile h, IReadOnlyDictionary<string, string> sample)
    {
        const string json = "application/json";
        string Obj(IEnumerable<KeyValuePair<string, string>> fields) => "{" + string.Join(",", fields.Select(f => $"{Hostile.Str(f.Key)}:{f.Value}")) + "}";
        var roll = h.Rng.Next(100);
        if (roll < 55 && sample.Count > 0)
        {
            var fields = sample.ToDictionary();
            foreach (var key in fields.Keys.OrderBy(_ => h.Rng.Next()).Take(h.Rng.Next(1, 4)).ToList())
                fields[key] = h.Rng.Next(8) == 0 ? "null" : h.Fragment();
            if (h.Rng.Next(5) == 0) fields.Remove(fields.Keys.First());
            return (Encoding.UTF8.GetBytes(Obj(fields)), json, "fields");
        }
        if (roll < 63)
        {
            var text = Obj(sample) is var o && o.Length > 2 ? o[..^1] + $",\"{h.Pick("extra", "$type", "__proto__", "constructor")}\":{h.Fragment()}" +
                (sample.Count > 0 ? $",{Hostile.Str(sample.Keys.First())}:{h.Fragment()}" : "") + "}" : "{\"extra\":1}";
            return (Encoding.UTF8.GetBytes(text), json, "extra-or-duplicate-keys");
        }
        if (roll < 75) return (Encoding.UTF8.GetBytes(h.Fragment()), json, "whole");
        if (roll < 83) return (h.BreakUtf8(Obj(sample)), json, "invalid-utf8");
        if (roll < 88) return ([], h.Pick<string?>(json, null), "empty");
        if (roll < 93) return (Encoding.UTF8.GetBytes(Obj(sample)), h.Pick("text/plain", "application/xml", "multipart/form-data; boundary=x",
            "application/json; charset=latin1", "application/x-www-form-urlencoded"), "content-type");
        if (roll < 95) return (Encoding.UTF8.GetBytes("{\"x\":" + Hostile.Str(new string('z', h.Pick(70_000, 200_000, 2_500_000))) + "}"), json, "oversize");
        return (Encoding.UTF8.GetBytes(Obj(sample)), json, "valid");
    }

    private async Task Authorize(HttpRequestMessage request, Caller caller, Hostile h)
    {
        switch (caller)
        {
            case Caller.Worker: request.Headers.Authorization = new("Bearer", world.Worker.Token); break;
            case Caller.Lawyer: request.Headers.Authorization = new("Bearer", world.Lawyer.Token); break;
            case Caller.Admin: request.Headers.Authorization = new("Bearer", world.AdminToken); break;
            case Caller.Gateway: request.Headers.TryAddWithoutValidation("X-Api-Key", world.Target.GatewayKey); break;
            case Caller.FreshWorker: request.Headers.Authorization = new("Bearer", (await world.Rest.CreateWorker("Fuzz victim")).Token); break;
            case Caller.Forged:
                var forged = h.Rng.Next(5) switch
                {
                    0 => "Bearer " + world.AdminToken[..^4] + "AAAA",
                    1 => "Bearer " + new string('a', 9000),
                    2 => "Basic YWRtaW46YWRtaW4=",
                    3 => "Bearer eyJhbGciOiJub25lIn0.eyJyb2xlIjoiYWRtaW4ifQ.",
                    _ => "Bearer ....",
                };
                request.Headers.TryAddWithoutValidation("Authorization", forged);
                if (h.Rng.Next(2) == 0) request.Headers.TryAddWithoutValidation("X-Api-Key", h.Pick("wrong-key", "", new string('k', 5000)));
                break;
        }
    }

    internal static string Trim(string s) => s.Length > 300 ? s[..300] + $"...({s.Length} chars)" : s;
}
