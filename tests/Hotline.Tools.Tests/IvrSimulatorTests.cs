using System.Text;
using Hotline.Client;
using Hotline.Ivr;

namespace Hotline.Tools.Tests;

/// <summary>Issue 11: the IVR simulator against a live silo process: honest at night, a callback, a queue, a bridge.</summary>
public sealed class IvrSimulatorTests
{
    private const string GatewayKey = "ivr-test-gateway-key-12351";
    private const string AdminPassword = "ivr-test-admin-12351";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Ivr_announces_honestly_takes_a_callback_queues_and_bridges_to_the_lawyer()
    {
        var data = Directory.CreateTempSubdirectory("hotline-ivr-").FullName;
        try
        {
            await using var silo = await SiloProcess.StartAsync(data, new Dictionary<string, string>
            {
                ["Hotline__Admin__Password"] = AdminPassword,
                ["Hotline__Gateway__ApiKey"] = GatewayKey,
                ["Hotline__Jwt__SigningKey"] = "ivr-test-signing-key-0123456789-0123456789",
                ["Hotline__Seed__DemoLawyers"] = "false",
            });
            // The platform refuses the first hangup (503, as while its backplane is down): the IVR repeats it. Before, the
            // hangup was lost and the call stayed queued as a live call no caller was on.
            var refuseFirstHangup = new RefuseFirst("/hangup") { InnerHandler = new HttpClientHandler() };
            using var http = new HttpClient(refuseFirstHangup) { BaseAddress = silo.Url, Timeout = TimeSpan.FromSeconds(30) };
            var rest = new HotlineRest(http);
            IvrOptions Options(string caller, int callbackAfter) => new(silo.Url, GatewayKey, caller, "work_injury", "hakka",
                TimeSpan.FromMilliseconds(200), 250, callbackAfter, AcceptCallback: true);

            // Nobody on the line: no estimate, the call is kept as a callback.
            var night = new LineWriter();
            Assert.Equal(IvrOutcome.CallbackQueued, await new IvrCall(rest, Options("13800000001", 6), night).RunAsync(CancellationToken.None));
            Assert.Contains("estimate=none lawyersOnline=0", night.Text);
            Assert.Contains("HANGUP status=queued callback=yes", night.Text);
            Assert.Equal(1, refuseFirstHangup.Refused);
            Assert.Contains("RETRY HotlineApiException", night.Text);
            var callbackId = night.Lines.Single(l => l.StartsWith("CALL ", StringComparison.Ordinal))[5..];

            // A lawyer comes online and takes the callback: busy with a phone call, so the next caller holds.
            var admin = await rest.Login("admin", AdminPassword);
            await rest.CreateLawyer(admin.Token, "ivr-lawyer", "ivr-lawyer-pass-12351", "Lawyer IVR", ["work_injury"], ["hakka"], 1);
            var login = await rest.Login("ivr-lawyer", "ivr-lawyer-pass-12351");
            await using var lawyer = HotlineConnection.Lawyer(silo.Url, login.Token);
            await lawyer.StartAsync();
            await lawyer.Invoke<Lawyer>("SetAvailability", ["available"]);
            await lawyer.Offers.WaitAsync(o => o.ConsultationId == callbackId, Wait);
            var taken = await lawyer.AcceptOffer(callbackId);
            Assert.Equal("+8613800000001", taken.Consultation.CallbackNumber); // stored encrypted, E.164

            var day = new LineWriter();
            var holding = new IvrCall(rest, Options("13800000002", 1000), day).RunAsync(CancellationToken.None);
            await day.Announced.Task.WaitAsync(Wait);
            Assert.Contains("lawyersOnline=1", day.Text);
            Assert.DoesNotContain("estimate=none", day.Text);

            await lawyer.Invoke<Consultation>("RecordCallAttempt", [callbackId, "reached"]);
            await lawyer.Invoke<Consultation>("CloseConsultation", [callbackId, "answered", null, "Keep the medical records; apply for work-injury recognition within 30 days."]);
            var offer = await lawyer.Offers.WaitAsync(o => o.Channel == "phone" && o.ConsultationId != callbackId, Wait);
            await lawyer.AcceptOffer(offer.ConsultationId);
            Assert.Equal(IvrOutcome.Bridged, await holding.WaitAsync(Wait));
            Assert.Contains($"BRIDGE lawyer={login.UserId}", day.Text);
        }
        finally
        {
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Answers the first request whose path ends with <paramref name="pathEnd"/> 503 unavailable, as the platform does while its backplane is down.</summary>
    private sealed class RefuseFirst(string pathEnd) : DelegatingHandler
    {
        private int _refused;
        public int Refused => _refused;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri!.AbsolutePath.EndsWith(pathEnd, StringComparison.Ordinal) && Interlocked.CompareExchange(ref _refused, 1, 0) == 0)
                return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.ServiceUnavailable)
                {
                    Content = new StringContent("{\"code\":\"unavailable\",\"detail\":\"the backplane is down\"}", Encoding.UTF8, "application/problem+json"),
                });
            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>What the IVR "says", line by line, safe to read while it runs.</summary>
    private sealed class LineWriter : TextWriter
    {
        private readonly StringBuilder _line = new();
        private readonly List<string> _lines = [];
        public TaskCompletionSource Announced { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public override Encoding Encoding => Encoding.UTF8;
        public IReadOnlyList<string> Lines { get { lock (_lines) return _lines.ToList(); } }
        public string Text => string.Join('\n', Lines);

        public override void Write(char value)
        {
            lock (_lines)
            {
                if (value != '\n') { _line.Append(value); return; }
                var line = _line.ToString().TrimEnd('\r');
                _line.Clear();
                _lines.Add(line);
                if (line.StartsWith("ANNOUNCE ", StringComparison.Ordinal)) Announced.TrySetResult();
            }
        }
    }
}
