namespace Hotline.Api.Tests;

/// <summary>Issue 10: need-to-know for lawyers, audited admin access, erase, revocation, the open-consultation cap.</summary>
[Collection(MainCollection.Name)]
public sealed class PrivacyTests(HotlineHost host)
{
    private static readonly TimeSpan Wait = TestKit.Wait;

    private sealed record AuditRow(DateTimeOffset At, string ActorId, string ActorRole, string Action, string? ConsultationId, string? Reason);

    private static async Task<IReadOnlyList<AuditRow>> Audit(TestKit kit, string consultationId)
    {
        var r = await kit.Raw(HttpMethod.Get, $"/api/admin/audit?consultationId={consultationId}", await kit.AdminToken());
        Assert.Equal(HttpStatusCode.OK, r.Status);
        return JsonSerializer.Deserialize<List<AuditRow>>(r.Body, HotlineRest.Json)!;
    }

    [Fact]
    public async Task A_lawyer_who_declined_loses_the_view_the_messages_and_the_notes_at_once()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var first = await kit.Lawyer([category], dialect);
        var worker = await kit.Worker();
        var c = await kit.Open(worker, category, dialect);
        await first.Hub.Offers.WaitAsync(o => o.ConsultationId == c.Id, Wait);
        // Offered: the view only, no messages, no notes.
        Assert.Equal(c.Id, (await kit.Rest.GetConsultation(first.Token, c.Id)).Id);
        Assert.Empty((await first.Hub.JoinConsultation(c.Id)).Missed);
        Assert.Equal((403, "forbidden"), await TestKit.RestError(() => kit.Rest.GetMessages(first.Token, c.Id)));
        Assert.Equal("forbidden", await TestKit.HubError(() => first.Hub.Invoke<IReadOnlyList<Note>>("GetNotes", [c.Id])));

        // A second lawyer is online, so the decline passes the consultation on rather than back.
        var second = await kit.Lawyer([category], dialect);
        await first.Hub.Invoke("DeclineOffer", c.Id);
        await second.Hub.Offers.WaitAsync(o => o.ConsultationId == c.Id, Wait);
        await second.Hub.AcceptOffer(c.Id);
        await worker.Hub.SendMessage(c.Id, "my employer is Acme");
        await second.Hub.Invoke<Note>("AddNote", [c.Id, "credible"]);

        Assert.Equal((403, "forbidden"), await TestKit.RestError(() => kit.Rest.GetConsultation(first.Token, c.Id)));
        Assert.Equal((403, "forbidden"), await TestKit.RestError(() => kit.Rest.GetMessages(first.Token, c.Id)));
        Assert.Equal((403, "forbidden"), await TestKit.RestError(() => kit.Rest.Send<object>(HttpMethod.Get, $"/api/consultations/{c.Id}/notes", first.Token)));
        Assert.Equal("forbidden", await TestKit.HubError(() => first.Hub.JoinConsultation(c.Id)));
        Assert.Equal("forbidden", await TestKit.HubError(() => first.Hub.Invoke<IReadOnlyList<Note>>("GetNotes", [c.Id])));
        Assert.DoesNotContain(await first.Hub.Invoke<IReadOnlyList<Consultation>>("GetMyConsultations", []), v => v.Id == c.Id);
        // The assigned lawyer reads everything.
        Assert.Single(await kit.Rest.GetMessages(second.Token, c.Id));
        Assert.Single(await second.Hub.Invoke<IReadOnlyList<Note>>("GetNotes", [c.Id]));
    }

    [Fact]
    public async Task A_lawyer_transferred_away_reads_messages_up_to_the_transfer_and_own_notes_only_and_is_audited()
    {
        await using var kit = new TestKit(host);
        var (from, to, worker, c, categories, _) = await kit.TransferCase();
        await worker.Hub.SendMessage(c.Id, "one");
        await from.Hub.SendMessage(c.Id, "two");
        await from.Hub.Invoke<Note>("AddNote", [c.Id, "from's note"]);
        await from.Hub.Invoke<Consultation>("Transfer", [c.Id, new TransferRequest(ToCategory: categories[1])]);
        await to.Hub.Offers.WaitAsync(o => o.ConsultationId == c.Id, Wait);
        await to.Hub.AcceptOffer(c.Id);
        await worker.Hub.SendMessage(c.Id, "three, after the transfer");
        await to.Hub.Invoke<Note>("AddNote", [c.Id, "to's note"]);

        var read = await kit.Rest.GetMessages(from.Token, c.Id);
        Assert.Equal(new long[] { 1, 2 }, read.Select(m => m.Seq).ToArray());
        var joined = await from.Hub.JoinConsultation(c.Id);
        Assert.Equal(new long[] { 1, 2 }, joined.Missed.Select(m => m.Seq).ToArray());
        Assert.Equal(c.Id, (await kit.Rest.GetConsultation(from.Token, c.Id)).Id);
        var fromNotes = await from.Hub.Invoke<IReadOnlyList<Note>>("GetNotes", [c.Id]);
        Assert.All(fromNotes, n => Assert.Equal(from.Id, n.LawyerId));
        Assert.NotEmpty(fromNotes);
        Assert.Equal("forbidden", await TestKit.HubError(() => from.Hub.SendMessage(c.Id, "still here?")));
        // The new lawyer reads all of it.
        Assert.Equal(3, (await kit.Rest.GetMessages(to.Token, c.Id)).Count);

        var audit = await Audit(kit, c.Id);
        Assert.Contains(audit, e => e.Action == "read_transcript" && e.ActorId == from.Id && e.ActorRole == "lawyer");
        Assert.DoesNotContain(audit, e => e.ActorId == to.Id);
    }

    [Fact]
    public async Task An_admin_reads_a_transcript_only_under_an_audited_grant()
    {
        await using var kit = new TestKit(host);
        var (lawyer, worker, c) = await kit.ActiveCase();
        var admin = await kit.AdminToken();
        await worker.Hub.SendMessage(c.Id, "secret");
        await lawyer.Hub.Invoke<Note>("AddNote", [c.Id, "note"]);

        Assert.Equal((403, "forbidden"), await TestKit.RestError(() => kit.Rest.GetMessages(admin, c.Id)));
        Assert.Equal((403, "forbidden"), await TestKit.RestError(() => kit.Rest.Send<object>(HttpMethod.Get, $"/api/consultations/{c.Id}/notes", admin)));
        var tooShort = await kit.Raw(HttpMethod.Post, $"/api/admin/consultations/{c.Id}/access", admin, new { reason = "because" });
        Assert.Equal((HttpStatusCode.BadRequest, "validation_failed"), (tooShort.Status, TestKit.ProblemCode(tooShort.Body)));
        var bidi = await kit.Raw(HttpMethod.Post, $"/api/admin/consultations/{c.Id}/access", admin, new { reason = "complaint \u202Eetativirp" });
        Assert.Equal(HttpStatusCode.BadRequest, bidi.Status);
        // Only admins grant.
        var asLawyer = await kit.Raw(HttpMethod.Post, $"/api/admin/consultations/{c.Id}/access", lawyer.Token, new { reason = "I would like to look" });
        Assert.Equal(HttpStatusCode.Forbidden, asLawyer.Status);

        var granted = await kit.Raw(HttpMethod.Post, $"/api/admin/consultations/{c.Id}/access", admin, new { reason = "worker complaint #42 about the advice" });
        Assert.Equal(HttpStatusCode.OK, granted.Status);
        using (var doc = JsonDocument.Parse(granted.Body))
        {
            Assert.Equal(c.Id, doc.RootElement.GetProperty("consultationId").GetString());
            var until = doc.RootElement.GetProperty("until").GetDateTimeOffset();
            Assert.InRange(until - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(29), TimeSpan.FromMinutes(31));
        }
        Assert.Equal("secret", Assert.Single(await kit.Rest.GetMessages(admin, c.Id)).Text);
        Assert.Equal(c.Id, (await kit.Rest.GetConsultation(admin, c.Id)).Id);
        Assert.Single(await kit.Rest.Send<IReadOnlyList<Note>>(HttpMethod.Get, $"/api/consultations/{c.Id}/notes", admin));

        var audit = await Audit(kit, c.Id);
        Assert.Contains(audit, e => e.Action == "access_granted" && e.ActorRole == "admin" && e.Reason == "worker complaint #42 about the advice");
        Assert.Contains(audit, e => e.Action == "read_transcript" && e.ActorRole == "admin");
        Assert.Contains(audit, e => e.Action == "read_notes" && e.ActorRole == "admin");
        Assert.True(audit.Zip(audit.Skip(1)).All(p => p.First.At >= p.Second.At), "newest first");
        // Lawyers and workers do not read the audit log.
        Assert.Equal(HttpStatusCode.Forbidden, (await kit.Raw(HttpMethod.Get, "/api/admin/audit", lawyer.Token)).Status);
    }

    [Fact]
    public async Task Erase_abandons_open_consultations_blanks_their_texts_and_kills_the_workers_tokens()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var lawyer = await kit.Lawyer([category], dialect);
        var worker = await kit.Worker("Zhang San");
        var (c, _) = await kit.OpenAndAccept(worker, lawyer, category, dialect);
        await worker.Hub.SendMessage(c.Id, "my boss Wang owes me 8000");
        await lawyer.Hub.Invoke<Note>("AddNote", [c.Id, "Wang owes 8000"]);

        var erased = await kit.Raw(HttpMethod.Delete, "/api/workers/me", worker.Token);
        Assert.Equal(HttpStatusCode.NoContent, erased.Status);
        // The token stops working at once, on REST and on the hub.
        Assert.Equal((401, "unauthorized"), await TestKit.RestError(() => kit.Rest.GetConsultation(worker.Token, c.Id)));
        Assert.Equal("unauthorized", await TestKit.HubError(() => worker.Hub.Invoke<IReadOnlyList<Consultation>>("GetMyConsultations", [])));

        // The lawyer sees it abandoned, with every text blank.
        await lawyer.Hub.StatusChanges.WaitAsync(s => s.ConsultationId == c.Id && s.Status == "abandoned", Wait);
        var view = await kit.Rest.GetConsultation(lawyer.Token, c.Id);
        Assert.Equal("abandoned", view.Status);
        Assert.Equal("", view.Summary);
        Assert.All(await kit.Rest.GetMessages(lawyer.Token, c.Id), m => Assert.Equal("", m.Text));
        Assert.Empty(await lawyer.Hub.Invoke<IReadOnlyList<Note>>("GetNotes", [c.Id]));
        Assert.Equal(0, (await kit.RosterEntry(lawyer.Id)).ActiveCount);
        Assert.Contains(await Audit(kit, c.Id), e => e.Action == "erase" && e.ActorId == worker.Id);
    }

    [Fact]
    public async Task After_an_erase_no_file_holds_the_employer_the_worker_named_neither_the_detector_nor_the_router_journal()
    {
        await using var kit = new TestKit(host);
        // A combination no lawyer serves: the consultation waits, so the router's journal holds its employer key.
        var (category, dialect) = TestKit.Combo();
        var worker = await kit.Worker(connect: false);
        var tag = "erz" + string.Concat(Guid.NewGuid().ToString("N")[..8].Select(c => (char)('a' + c % 26)));
        var c = await kit.Rest.OpenConsultation(worker.Token, category, dialect, "欠薪", employer: tag + "电子有限公司");
        var grains = host.Services.GetRequiredService<IGrainFactory>();
        var router = grains.GetGrain<Hotline.Abstractions.IRouterGrain>(Hotline.Abstractions.GrainKeys.Hotline);
        Assert.Equal(Hotline.Domain.RouterPlacement.Queued, (await router.GetEntry(c.Id)).Placement);
        var collective = grains.GetGrain<Hotline.Abstractions.ICollectiveGrain>(Hotline.Abstractions.GrainKeys.Hotline);
        var key = Hotline.Domain.EmployerName.Key(tag + "电子有限公司")!;
        Assert.Contains(c.Id, await collective.Related(key, "none"));
        Assert.True(await DataFiles.Contain(host.DataPath, tag, utf16Too: true), "the employer is in no file of the store: the scan below would prove nothing");

        Assert.Equal(HttpStatusCode.NoContent, (await kit.Raw(HttpMethod.Delete, "/api/workers/me", worker.Token)).Status);

        Assert.Empty(await collective.Related(key, "none"));
        Assert.Equal(Hotline.Domain.RouterPlacement.None, (await router.GetEntry(c.Id)).Placement);
        // The detector forgot the mention, the router's snapshot replaced the journal batches that held the key, and the
        // store's checkpoint left no older page or WAL frame behind.
        Assert.False(await DataFiles.Contain(host.DataPath, tag, utf16Too: true), "the erased worker's employer is still in a file of the store");
    }

    [Fact]
    public async Task A_lawyers_revoked_tokens_stop_working_on_rest_and_hubs()
    {
        await using var kit = new TestKit(host);
        // No consultation is opened: a fixed combination, so the unique ones are left for the routing tests.
        var (category, dialect) = ("other", "english");
        var lawyer = await kit.Lawyer([category], dialect);
        Assert.NotNull(await lawyer.Hub.Invoke<Lawyer>("GetMe", []));
        var grains = host.Services.GetRequiredService<IGrainFactory>();
        await grains.GetGrain<Hotline.Abstractions.ILawyerGrain>(lawyer.Id).RevokeTokens();
        host.Services.GetRequiredService<Hotline.Silo.Api.TokenRevocation>().Forget(lawyer.Id);

        Assert.Equal((401, "unauthorized"), await TestKit.RestError(() => kit.Rest.Send<object>(HttpMethod.Get, "/api/canned-replies", lawyer.Token)));
        Assert.Equal("unauthorized", await TestKit.HubError(() => lawyer.Hub.Invoke<Lawyer>("GetMe", [])));
        // A fresh login carries the new version and works.
        var again = await kit.Rest.Login(lawyer.Username, TestKit.Password);
        Assert.Equal(HttpStatusCode.OK, (await kit.Raw(HttpMethod.Get, "/api/canned-replies", again.Token)).Status);
    }

    [Fact]
    public async Task A_worker_has_at_most_three_open_consultations_with_a_stable_code()
    {
        await using var kit = new TestKit(host);
        // No lawyer takes part; every consultation opened here is abandoned at the end, so nothing is left queued.
        var (category, dialect) = ("other", "english");
        var worker = await kit.Worker();
        var open = new List<Consultation>();
        for (var i = 0; i < 3; i++) open.Add(await kit.Open(worker, category, dialect, "question " + i));
        Assert.Equal((429, "too_many_open_consultations"), await TestKit.RestError(() => kit.Open(worker, category, dialect, "a fourth")));
        await worker.Hub.Invoke<Consultation>("CloseConsultation", [open[0].Id, null, null]);
        var again = await kit.Open(worker, category, dialect, "after closing one");
        Assert.Equal("queued", again.Status);
        foreach (var c in open.Skip(1).Append(again)) await worker.Hub.Invoke<Consultation>("CloseConsultation", [c.Id, null, null]);
    }

    [Fact]
    public async Task The_audit_log_lists_a_days_entries_an_older_build_kept_in_the_day_grains_record_with_the_new_ones()
    {
        await using var kit = new TestKit(host);
        var storage = host.Services.GetRequiredService<Orleans.Storage.IGrainStorage>();
        // A day no grain of this host has opened (queries of other tests cover recent days, and an open grain keeps the
        // state it read), as a build before the audit store left it.
        var consultationId = "c-" + Guid.NewGuid().ToString("N");
        var day = DateTimeOffset.UtcNow.AddDays(-300 - Random.Shared.Next(50));
        var older = new Hotline.Abstractions.AuditEntry { At = day, ActorId = "admin-old", ActorRole = "admin", Action = Hotline.Abstractions.AuditActions.ReadTranscript, ConsultationId = consultationId, Reason = "kept in the grain" };
        await storage.WriteStateAsync("audit", GrainId.Create("audit", Hotline.Abstractions.AuditLog.DayKey(day)),
            new GrainState<Hotline.Grains.AuditDayState>(new() { Entries = [older] }));
        // A new entry of the same day, through the grain as every writer records one.
        var grains = host.Services.GetRequiredService<IGrainFactory>();
        await Hotline.Abstractions.AuditLog.Write(grains, older with { At = day.AddMinutes(1), ActorId = "admin-new", Reason = "a row" });

        var range = $"from={Uri.EscapeDataString(day.AddHours(-1).ToString("O"))}&to={Uri.EscapeDataString(day.AddHours(1).ToString("O"))}";
        var r = await kit.Raw(HttpMethod.Get, $"/api/admin/audit?consultationId={consultationId}&{range}", await kit.AdminToken());
        Assert.Equal(HttpStatusCode.OK, r.Status);
        var audit = JsonSerializer.Deserialize<List<AuditRow>>(r.Body, HotlineRest.Json)!;
        Assert.Equal(["admin-new", "admin-old"], audit.Select(e => e.ActorId)); // newest first
        Assert.Equal("kept in the grain", audit[1].Reason);
    }

    [Fact]
    public async Task Control_and_bidi_characters_are_refused_in_text_fields()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = ("other", "english");
        var worker = await kit.Worker();
        Assert.Equal((400, "validation_failed"), await TestKit.RestError(() => kit.Open(worker, category, dialect, "nul\0byte")));
        Assert.Equal((400, "validation_failed"), await TestKit.RestError(() => kit.Open(worker, category, dialect, "abc\u202Edcba")));
        var named = await kit.Raw(HttpMethod.Post, "/api/auth/worker", json: new { displayName = "evil\u2066name" });
        Assert.Equal(HttpStatusCode.BadRequest, named.Status);
        var c = await kit.Open(worker, category, dialect, "line one\nline two is fine");
        Assert.Equal("validation_failed", await TestKit.HubError(() => worker.Hub.SendMessage(c.Id, "bell\u0007")));
        await worker.Hub.Invoke<Consultation>("CloseConsultation", [c.Id, null, null]);
    }
}
