namespace Hotline.Api.Tests;

/// <summary>Issue 11: the 12351 phone line through the gateway API and the lawyer hub, the outcome and the rating.</summary>
[Collection(MainCollection.Name)]
public sealed class PhoneLineTests(HotlineHost host)
{
    private static readonly TimeSpan Wait = TestKit.Wait;
    private const string Key = HotlineHost.GatewayKey;

    private static string Number() => "+86139" + Random.Shared.Next(10_000_000, 99_999_999);

    [Fact]
    public async Task Callback_call_is_queued_polled_assigned_and_only_the_assigned_lawyer_sees_the_number()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var number = Number();

        var call = await kit.Rest.PhoneCall(Key, number, category, dialect, callback: true);
        Assert.Equal("phone", call.Channel);
        Assert.Equal("queued", call.Status);
        Assert.True(call.Callback);
        Assert.Null(call.CallbackNumber);

        // Nobody eligible online: the gateway hears the position, no invented estimate.
        var polled = await kit.Rest.GetCall(Key, call.Id);
        Assert.Equal("queued", polled.Status);
        Assert.True(polled.QueuePosition >= 1); // per category: leftovers of other tests may be ahead
        Assert.Null(polled.EstimatedWaitSeconds);
        Assert.Equal(0, polled.LawyersOnline);
        Assert.True(polled.Callback);

        // A lawyer who is offered the call and declines it never sees the number.
        var decliner = await kit.Lawyer([category], dialect, capacity: 1);
        await decliner.Hub.Invoke<Lawyer>("SetAvailability", ["available"]);
        await decliner.Hub.Offers.WaitAsync(o => o.ConsultationId == call.Id, Wait);
        var offered = await decliner.Hub.JoinConsultation(call.Id);
        Assert.Null(offered.Consultation.CallbackNumber);
        await decliner.Hub.Invoke("DeclineOffer", call.Id);

        var lawyer = await kit.Lawyer([category], dialect, capacity: 1);
        await lawyer.Hub.Invoke<Lawyer>("SetAvailability", ["available"]);
        var offer = await lawyer.Hub.Offers.WaitAsync(o => o.ConsultationId == call.Id, Wait);
        Assert.DoesNotContain(number[^8..], offer.Summary);
        var accepted = await lawyer.Hub.AcceptOffer(call.Id);
        Assert.Equal(number, accepted.Consultation.CallbackNumber);
        Assert.True(accepted.Consultation.Callback);
        // Whatever the decliner may still read (need-to-know is another rule), it is never the number.
        try { Assert.Null((await decliner.Hub.JoinConsultation(call.Id)).Consultation.CallbackNumber); }
        catch (Microsoft.AspNetCore.SignalR.HubException e) { Assert.StartsWith("forbidden", e.Message[(e.Message.IndexOf("HubException: ", StringComparison.Ordinal) + 14)..]); }

        var active = await kit.Rest.GetCall(Key, call.Id);
        Assert.Equal("active", active.Status);
        Assert.Equal(lawyer.Id, active.AssignedLawyerId);
        Assert.Null(active.QueuePosition);
        Assert.Equal(number, (await kit.Rest.GetConsultation(lawyer.Token, call.Id)).CallbackNumber);
        var mine = await lawyer.Hub.Invoke<IReadOnlyList<Consultation>>("GetMyConsultations", []);
        Assert.Equal(number, mine.Single(c => c.Id == call.Id).CallbackNumber);

        // The lawyer's call-back attempts go into the record.
        await lawyer.Hub.Invoke<Consultation>("RecordCallAttempt", [call.Id, "no_answer"]);
        var record = await lawyer.Hub.Invoke<Consultation>("RecordCallAttempt", [call.Id, "reached"]);
        Assert.Equal(new[] { "no_answer", "reached" }, record.CallAttempts!.Select(a => a.Outcome));
        Assert.Equal("validation_failed", await TestKit.HubError(() => lawyer.Hub.Invoke<Consultation>("RecordCallAttempt", [call.Id, "maybe"])));

        var closed = await lawyer.Hub.Invoke<Consultation>("CloseConsultation", [call.Id, "answered", "private summary", "带上工资条和劳动合同，30天内申请仲裁"]);
        Assert.Equal("closed", closed.Status);
        Assert.Null(closed.CallbackNumber);
        Assert.Equal("带上工资条和劳动合同，30天内申请仲裁", closed.Advice);
        Assert.Null((await kit.Rest.GetConsultation(lawyer.Token, call.Id)).CallbackNumber);
        Assert.Equal("closed", (await kit.Rest.GetCall(Key, call.Id)).Status);
    }

    [Fact]
    public async Task Hangup_without_callback_ends_abandoned_and_is_never_offered()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var left = await kit.Rest.PhoneCall(Key, Number(), category, dialect);
        Assert.False(left.Callback);
        var abandoned = await kit.Rest.Hangup(Key, left.Id);
        Assert.Equal("abandoned", abandoned.Status);
        Assert.Equal("abandoned", (await kit.Rest.GetCall(Key, left.Id)).Status);
        // Hanging up again changes nothing.
        Assert.Equal("abandoned", (await kit.Rest.Hangup(Key, left.Id, callback: true)).Status);

        // A caller who asks for a callback keeps the place.
        var kept = await kit.Rest.PhoneCall(Key, Number(), category, dialect);
        var asked = await kit.Rest.Hangup(Key, kept.Id, callback: true);
        Assert.Equal("queued", asked.Status);
        Assert.True(asked.Callback);

        // The abandoned call arrived first: if it were still queued, it would be offered before the kept one.
        var lawyer = await kit.Lawyer([category], dialect, capacity: 1);
        await lawyer.Hub.Invoke<Lawyer>("SetAvailability", ["available"]);
        await lawyer.Hub.Offers.WaitAsync(o => o.ConsultationId == kept.Id, Wait);
        Assert.DoesNotContain(lawyer.Hub.Offers.Items, o => o.ConsultationId == left.Id);
        Assert.Equal("forbidden", await TestKit.HubError(() => lawyer.Hub.JoinConsultation(left.Id)));
    }

    [Fact]
    public async Task Gateway_polling_refuses_unknown_ids_web_consultations_and_other_keys()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var worker = await kit.Worker(connect: false);
        var web = await kit.Open(worker, category, dialect);
        Assert.Equal((404, "not_found"), await TestKit.RestError(() => kit.Rest.GetCall(Key, web.Id)));
        Assert.Equal((404, "not_found"), await TestKit.RestError(() => kit.Rest.Hangup(Key, web.Id)));
        Assert.Equal((400, "validation_failed"), await TestKit.RestError(() => kit.Rest.GetCall(Key, "c-nope")));
        var (status, _) = await TestKit.RestError(() => kit.Rest.GetCall("wrong-key", web.Id));
        Assert.Equal(401, status);
        Assert.Equal("queued", (await kit.Rest.GetConsultation(worker.Token, web.Id)).Status);
    }

    [Fact]
    public async Task Advice_reaches_the_worker_who_rates_once_and_the_rating_shows_in_metrics()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var lawyer = await kit.Lawyer([category], dialect);
        await lawyer.Hub.Invoke<Lawyer>("SetAvailability", ["available"]);
        var worker = await kit.Worker();
        var (c, _) = await kit.OpenAndAccept(worker, lawyer, category, dialect);
        await worker.Hub.JoinConsultation(c.Id);
        Assert.Equal("conflict", await TestKit.HubError(() => worker.Hub.Invoke<Consultation>("RateConsultation", [c.Id, 5, null])));

        var advice = new string('议', 4001);
        Assert.Equal("validation_failed", await TestKit.HubError(() => lawyer.Hub.Invoke<Consultation>("CloseConsultation", [c.Id, "answered", null, advice])));
        await lawyer.Hub.Invoke<Consultation>("CloseConsultation", [c.Id, "referred_arbitration", "summary for lawyers", "Apply for arbitration within 1 year."]);
        var changed = await worker.Hub.StatusChanges.WaitAsync(s => s.ConsultationId == c.Id && s.Status == "closed", Wait);
        Assert.Equal("referred_arbitration", changed.Resolution);
        Assert.Equal("Apply for arbitration within 1 year.", changed.Advice);
        var seen = await kit.Rest.GetConsultation(worker.Token, c.Id);
        Assert.Equal("Apply for arbitration within 1 year.", seen.Advice);

        Assert.Equal("validation_failed", await TestKit.HubError(() => worker.Hub.Invoke<Consultation>("RateConsultation", [c.Id, 6, null])));
        var rated = await worker.Hub.Invoke<Consultation>("RateConsultation", [c.Id, 4]);
        Assert.Equal(4, rated.Rating);
        Assert.Equal("conflict", await TestKit.HubError(() => worker.Hub.Invoke<Consultation>("RateConsultation", [c.Id, 5, "again"])));

        var metrics = await kit.Rest.GetMetrics(await kit.AdminToken());
        var queue = metrics.Queues.Single(q => q.Category == category);
        Assert.True(queue.Rated >= 1);
        Assert.NotNull(queue.Satisfaction);

        // A worker who leaves the queue has nothing to rate.
        var other = await kit.Open(worker, category, dialect);
        var left = await worker.Hub.Invoke<Consultation>("CloseConsultation", [other.Id]);
        Assert.Equal("abandoned", left.Status);
        Assert.Equal("conflict", await TestKit.HubError(() => worker.Hub.Invoke<Consultation>("RateConsultation", [other.Id, 3])));
    }
}
