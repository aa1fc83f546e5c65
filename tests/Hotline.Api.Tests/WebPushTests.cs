using System.Buffers.Text;
using System.Security.Cryptography;
using System.Threading.Channels;
using IWorkerGrain = Hotline.Abstractions.IWorkerGrain;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Hotline.Api.Tests;

/// <summary>
/// Issue 11 item 4: Web Push to a worker whose page is closed. A Kestrel server in the test stands in for the push
/// service; the test checks the VAPID JWT (ES256) against <c>GET /api/push/key</c>, its audience, and decrypts the
/// aes128gcm body (RFC 8291) with the subscription's own private key.
/// </summary>
[Collection(MainCollection.Name)]
public sealed class WebPushTests(HotlineHost host)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Worker_with_no_open_page_is_pushed_when_a_lawyer_takes_it_and_writes_and_gone_subscriptions_are_dropped()
    {
        await using var kit = new TestKit(host);
        await using var push = await PushService.Start();
        var (category, dialect) = TestKit.Combo();

        var key = (await kit.Http.GetFromJsonAsync<JsonElement>("/api/push/key")).GetProperty("publicKey").GetString()!;
        // Embedded mode: the pair was generated into the data folder, readable by the owner only.
        var keyFile = Path.Combine(host.DataPath, "vapid-keys.json");
        Assert.Contains(key, await File.ReadAllTextAsync(keyFile));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));

        var worker = await kit.Worker(connect: false);
        using var browser = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var auth = RandomNumberGenerator.GetBytes(16);
        var p = browser.ExportParameters(false);
        var p256dh = Base64Url.EncodeToString([0x04, .. p.Q.X!, .. p.Q.Y!]);
        Assert.Equal(HttpStatusCode.NoContent, (await kit.Raw(HttpMethod.Post, "/api/workers/me/push", worker.Token,
            new { endpoint = push.Url + "/push/live", keys = new { p256dh, auth = Base64Url.EncodeToString(auth) } })).Status);
        // A second browser whose subscription the push service has dropped (410): forgotten after the first push.
        Assert.Equal(HttpStatusCode.NoContent, (await kit.Raw(HttpMethod.Post, "/api/workers/me/push", worker.Token,
            new { endpoint = push.Url + "/gone/old", keys = new { p256dh, auth = Base64Url.EncodeToString(auth) } })).Status);
        // Not a push service: refused, nothing stored.
        var refused = await kit.Raw(HttpMethod.Post, "/api/workers/me/push", worker.Token,
            new { endpoint = "https://intranet.example/hook", keys = new { p256dh, auth = Base64Url.EncodeToString(auth) } });
        Assert.Equal(("validation_failed", HttpStatusCode.BadRequest), (TestKit.ProblemCode(refused.Body), refused.Status));

        var lawyer = await kit.Lawyer([category], dialect, capacity: 1);
        await lawyer.Hub.Invoke<Lawyer>("SetAvailability", ["available"]);
        var c = await kit.Open(worker, category, dialect);
        await lawyer.Hub.Offers.WaitAsync(o => o.ConsultationId == c.Id, Wait);
        await lawyer.Hub.AcceptOffer(c.Id);

        var assigned = await push.Live.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        AssertVapid(assigned, key, push.Url);
        var notice = Decrypt(assigned.Body, browser, auth);
        Assert.Equal("assigned", notice.GetProperty("kind").GetString());
        Assert.Equal(c.Id, notice.GetProperty("consultationId").GetString());
        Assert.Equal(2, notice.EnumerateObject().Count()); // no names, no text on a lock screen

        var grains = host.Services.GetRequiredService<IGrainFactory>();
        await Hotline.Testing.Wait.Until(async () => (await grains.GetGrain<IWorkerGrain>(worker.Id).GetPushTargets()).All(t => !t.Endpoint.Contains("/gone/")),
            Wait, () => "the subscription answered 410 is still stored");
        Assert.True(push.GoneHits >= 1);

        // Page open: the message comes over the hub, no push.
        await kit.Start(worker.Hub);
        await worker.Hub.JoinConsultation(c.Id);
        await lawyer.Hub.SendMessage(c.Id, "请把工资条拍照发给我");
        await worker.Hub.Messages.WaitAsync(m => m.ConsultationId == c.Id && m.Text == "请把工资条拍照发给我", Wait);
        await worker.Hub.DisposeAsync();

        // Page closed: the next lawyer message is pushed (the server sees the close a moment later, so write until it does).
        PushService.Request? message = null;
        for (var i = 0; i < 10 && message is null; i++)
        {
            await lawyer.Hub.SendMessage(c.Id, "还在吗？" + i);
            if (await push.Live.Reader.WaitToReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(i < 9 ? 3 : 30)).ContinueWith(t => t.IsCompletedSuccessfully))
                message = await push.Live.Reader.ReadAsync();
        }
        Assert.NotNull(message);
        AssertVapid(message, key, push.Url);
        Assert.Equal("message", Decrypt(message.Body, browser, auth).GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Subscription_needs_a_worker_token_and_valid_keys()
    {
        await using var kit = new TestKit(host);
        var worker = await kit.Worker(connect: false);
        var body = new { endpoint = "http://127.0.0.1:9/push/x", keys = new { p256dh = "AAAA", auth = "AAAA" } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await kit.Raw(HttpMethod.Post, "/api/workers/me/push", null, body)).Status);
        var bad = await kit.Raw(HttpMethod.Post, "/api/workers/me/push", worker.Token, body);
        Assert.Equal(("validation_failed", HttpStatusCode.BadRequest), (TestKit.ProblemCode(bad.Body), bad.Status));
        Assert.Empty(await host.Services.GetRequiredService<IGrainFactory>().GetGrain<IWorkerGrain>(worker.Id).GetPushTargets());
    }

    [Fact]
    public void Configured_keys_must_be_a_matching_pair_or_the_host_refuses_to_start()
    {
        static IReadOnlyList<string> Problems(params (string Key, string Value)[] settings) => Hotline.Silo.Security.WebPushKeys.Problems(
            Microsoft.Extensions.Configuration.MemoryConfigurationBuilderExtensions.AddInMemoryCollection(new Microsoft.Extensions.Configuration.ConfigurationBuilder(), settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build()).ToList();
        var (pub, priv) = Hotline.Silo.Security.WebPushKeys.Generate();
        var (otherPub, _) = Hotline.Silo.Security.WebPushKeys.Generate();
        Assert.Empty(Problems());
        Assert.Empty(Problems(("Hotline:Push:PublicKey", pub), ("Hotline:Push:PrivateKey", priv), ("Hotline:Push:Subject", "mailto:it@union.example")));
        Assert.Single(Problems(("Hotline:Push:PublicKey", pub)));
        Assert.Single(Problems(("Hotline:Push:PublicKey", otherPub), ("Hotline:Push:PrivateKey", priv)));
        Assert.Single(Problems(("Hotline:Push:PublicKey", "not-a-key"), ("Hotline:Push:PrivateKey", priv)));
        Assert.Single(Problems(("Hotline:Push:Subject", "it@union.example")));
    }

    /// <summary>RFC 8292: <c>Authorization: vapid t=JWT, k=public key</c>; ES256 over the JWT, audience = the endpoint's origin.</summary>
    private static void AssertVapid(PushService.Request request, string publicKey, string origin)
    {
        Assert.StartsWith("vapid ", request.Authorization);
        var parts = request.Authorization["vapid ".Length..].Split(',', StringSplitOptions.TrimEntries)
            .ToDictionary(s => s[..s.IndexOf('=')], s => s[(s.IndexOf('=') + 1)..]);
        Assert.Equal(publicKey, parts["k"]);
        var jwt = parts["t"].Split('.');
        Assert.Equal(3, jwt.Length);
        var header = JsonDocument.Parse(Base64Url.DecodeFromChars(jwt[0])).RootElement;
        Assert.Equal("ES256", header.GetProperty("alg").GetString());
        var q = Base64Url.DecodeFromChars(publicKey);
        using var ec = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = q[1..33], Y = q[33..] } });
        Assert.True(ec.VerifyData(Encoding.ASCII.GetBytes(jwt[0] + "." + jwt[1]), Base64Url.DecodeFromChars(jwt[2]), HashAlgorithmName.SHA256),
            "the VAPID signature does not verify against GET /api/push/key");
        var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(jwt[1])).RootElement;
        Assert.Equal(origin, claims.GetProperty("aud").GetString());
        var exp = DateTimeOffset.FromUnixTimeSeconds(claims.GetProperty("exp").GetInt64());
        Assert.InRange(exp, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(24).AddMinutes(5));
        Assert.StartsWith("mailto:", claims.GetProperty("sub").GetString());
        Assert.Equal("aes128gcm", request.ContentEncoding);
        Assert.True(request.Ttl > 0);
    }

    /// <summary>RFC 8291 / RFC 8188: the body decrypted with the browser's private key and auth secret.</summary>
    private static JsonElement Decrypt(byte[] body, ECDiffieHellman browser, byte[] auth)
    {
        var salt = body[..16];
        var idLength = body[20];
        var serverKey = body[21..(21 + idLength)];
        var record = body[(21 + idLength)..];
        using var server = ECDiffieHellman.Create(new ECParameters
            { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = serverKey[1..33], Y = serverKey[33..] } });
        var secret = browser.DeriveRawSecretAgreement(server.PublicKey);
        var p = browser.ExportParameters(false);
        byte[] info = [.. "WebPush: info\0"u8, 0x04, .. p.Q.X!, .. p.Q.Y!, .. serverKey];
        var ikm = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, auth, info);
        var cek = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 16, salt, "Content-Encoding: aes128gcm\0"u8.ToArray());
        var nonce = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 12, salt, "Content-Encoding: nonce\0"u8.ToArray());
        var plain = new byte[record.Length - 16];
        using (var gcm = new AesGcm(cek, 16)) gcm.Decrypt(nonce, record[..^16], record[^16..], plain);
        var end = plain.Length - 1;
        while (plain[end] == 0) end--;
        Assert.Equal(2, plain[end]); // the last record's delimiter
        return JsonDocument.Parse(plain.AsMemory(0, end)).RootElement.Clone();
    }

    /// <summary>A push service on loopback: <c>/push/*</c> takes messages (201), <c>/gone/*</c> answers 410.</summary>
    private sealed class PushService : IAsyncDisposable
    {
        public sealed record Request(string Authorization, string? ContentEncoding, int Ttl, byte[] Body);

        private readonly WebApplication _app;
        private int _gone;

        private PushService(WebApplication app) => _app = app;

        public Channel<Request> Live { get; } = Channel.CreateUnbounded<Request>();
        public int GoneHits => Volatile.Read(ref _gone);
        public string Url { get; private set; } = "";

        public static async Task<PushService> Start()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var service = new PushService(app);
            app.MapPost("/push/{id}", async (HttpRequest r) =>
            {
                using var body = new MemoryStream();
                await r.Body.CopyToAsync(body);
                await service.Live.Writer.WriteAsync(new Request(r.Headers.Authorization.ToString(), r.Headers.ContentEncoding.ToString(),
                    int.TryParse(r.Headers["TTL"], out var ttl) ? ttl : -1, body.ToArray()));
                return Results.StatusCode(201);
            });
            app.MapPost("/gone/{id}", () =>
            {
                Interlocked.Increment(ref service._gone);
                return Results.StatusCode(410);
            });
            await app.StartAsync();
            service.Url = app.Urls.First().TrimEnd('/');
            return service;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
