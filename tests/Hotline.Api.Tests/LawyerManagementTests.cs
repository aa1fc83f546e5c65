namespace Hotline.Api.Tests;

/// <summary>Issue 12: admins edit, reset and disable lawyers; lawyers declare conflicts of interest.</summary>
[Collection(MainCollection.Name)]
public sealed class LawyerManagementTests(HotlineHost host)
{
    private static readonly TimeSpan Wait = TestKit.Wait;

    /// <summary>Completes when the connection closes (the server closed it, or it was refused).</summary>
    private static Task ClosedOf(HubConnection connection)
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += _ => { closed.TrySetResult(); return Task.CompletedTask; };
        return closed.Task;
    }

    /// <summary>A lawyer hub connection without the client's automatic reconnection, to see the server close it.</summary>
    private static HubConnection RawLawyer(TestKit kit, string token) => new HubConnectionBuilder()
        .WithUrl(new Uri(kit.BaseUrl, "/hubs/lawyer"), o =>
        {
            o.AccessTokenProvider = () => Task.FromResult<string?>(token);
            o.Transports = HttpTransportType.WebSockets;
            o.SkipNegotiation = true;
        })
        .Build();

    [Fact]
    public async Task Admin_edits_a_lawyer_and_resets_the_password()
    {
        await using var kit = new TestKit(host);
        var (categories, dialect) = TestKit.Combos(2);
        var admin = await kit.AdminToken();
        var lawyer = await kit.Lawyer([categories[0]], dialect, connect: false);

        var view = await kit.Rest.UpdateLawyer(admin, lawyer.Id, new
        {
            displayName = "林律师", skills = categories, dialects = new[] { dialect, "mandarin" }, capacity = 5,
            conflicts = new[] { "厦门ＡＢＣ电子有限公司", "厦门 abc 电子", "Fuzhou Steel Co., Ltd." },
        });
        Assert.Equal("林律师", view.DisplayName);
        Assert.Equal(categories, view.Skills);
        Assert.Equal([dialect, "mandarin"], view.Dialects);
        Assert.Equal(5, view.Capacity);
        Assert.Equal(["厦门ＡＢＣ电子有限公司", "Fuzhou Steel Co., Ltd."], view.Conflicts); // one entry per employer
        Assert.False(view.Disabled);
        Assert.Equal(view.Conflicts, (await kit.RosterEntry(lawyer.Id)).Conflicts);
        // Fields left out stay as they are.
        Assert.Equal(5, (await kit.Rest.UpdateLawyer(admin, lawyer.Id, new { displayName = "林律师2" })).Capacity);

        foreach (var bad in new object[]
                 {
                     new { skills = new[] { "astrology" } }, new { skills = Array.Empty<string>() }, new { dialects = new[] { "klingon" } },
                     new { capacity = 0 }, new { capacity = 11 }, new { displayName = "" }, new { conflicts = new[] { "有限公司" } },
                     new { conflicts = new[] { new string('厂', 101) } },
                 })
            Assert.Equal((400, "validation_failed"), await TestKit.RestError(() => kit.Rest.UpdateLawyer(admin, lawyer.Id, bad)));
        Assert.Equal("林律师2", (await kit.RosterEntry(lawyer.Id)).DisplayName); // refused updates changed nothing
        Assert.Equal((404, "not_found"), await TestKit.RestError(() => kit.Rest.UpdateLawyer(admin, "lw-nobody-" + Guid.NewGuid().ToString("N")[..6], new { capacity = 2 })));
        Assert.Equal(HttpStatusCode.Forbidden, (await kit.Raw(HttpMethod.Put, $"/api/admin/lawyers/{lawyer.Id}", lawyer.Token, new { capacity = 2 })).Status);

        var reset = await kit.Raw(HttpMethod.Post, $"/api/admin/lawyers/{lawyer.Id}/password", admin, new { password = "new-password-12351" });
        Assert.Equal(HttpStatusCode.NoContent, reset.Status);
        Assert.Equal((401, "unauthorized"), await TestKit.RestError(() => kit.Rest.Login(lawyer.Username, TestKit.Password)));
        Assert.Equal(HttpStatusCode.Unauthorized, (await kit.Raw(HttpMethod.Get, "/api/canned-replies", lawyer.Token)).Status); // old token revoked
        var fresh = await kit.Rest.Login(lawyer.Username, "new-password-12351");
        Assert.Equal(lawyer.Id, fresh.UserId);
        Assert.Equal(HttpStatusCode.OK, (await kit.Raw(HttpMethod.Get, "/api/canned-replies", fresh.Token)).Status);
        var audit = await kit.Rest.Send<IReadOnlyList<System.Text.Json.JsonElement>>(HttpMethod.Get, "/api/admin/audit", admin);
        Assert.Contains(audit, e => e.GetProperty("action").GetString() == "lawyer_changed" && e.GetProperty("reason").GetString() == $"{lawyer.Id}: password reset");
        Assert.Contains(audit, e => e.GetProperty("action").GetString() == "lawyer_changed" && e.GetProperty("reason").GetString()!.StartsWith($"{lawyer.Id}: displayName, skills"));
        var tooShort = await kit.Raw(HttpMethod.Post, $"/api/admin/lawyers/{lawyer.Id}/password", admin, new { password = "short" });
        Assert.Equal(HttpStatusCode.BadRequest, tooShort.Status);
        Assert.Equal("validation_failed", TestKit.ProblemCode(tooShort.Body));
    }

    [Fact]
    public async Task Disabling_a_lawyer_closes_their_connection_refuses_them_and_gives_their_consultation_to_another()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var admin = await kit.AdminToken();
        var a = await kit.Lawyer([category], dialect);
        var worker = await kit.Worker();
        var (c, _) = await kit.OpenAndAccept(worker, a, category, dialect);

        // A second, raw connection of the same lawyer, to watch it being closed by the server.
        var raw = RawLawyer(kit, a.Token);
        var closed = ClosedOf(raw);
        await raw.StartAsync();
        var b = await kit.Lawyer([category], dialect);

        var disabled = await kit.Rest.UpdateLawyer(admin, a.Id, new { disabled = true });
        Assert.True(disabled.Disabled);
        Assert.Equal("offline", disabled.Status);

        await closed.WaitAsync(Wait);
        await raw.DisposeAsync();
        // The consultation that was active with A goes back to routing and is offered to B.
        await b.Hub.Offers.WaitAsync(o => o.ConsultationId == c.Id, Wait);
        var taken = await b.Hub.AcceptOffer(c.Id);
        Assert.Equal(b.Id, taken.Consultation.AssignedLawyerId);
        await worker.Hub.Assignments.WaitAsync(x => x.ConsultationId == c.Id && x.LawyerId == b.Id, Wait);

        // A can neither log in nor use the token it holds, on REST or on the hub.
        Assert.Equal((401, "unauthorized"), await TestKit.RestError(() => kit.Rest.Login(a.Username, TestKit.Password)));
        Assert.Equal(HttpStatusCode.Unauthorized, (await kit.Raw(HttpMethod.Get, $"/api/consultations/{c.Id}", a.Token)).Status);
        await using (var again = RawLawyer(kit, a.Token))
        {
            var refused = ClosedOf(again);
            // Refused at the handshake or closed right after it: either way no connection stays open.
            try { await again.StartAsync(); await refused.WaitAsync(Wait); }
            catch (Exception e) when (e is not TimeoutException) { }
            Assert.Equal(HubConnectionState.Disconnected, again.State);
        }
        var roster = await kit.RosterEntry(a.Id);
        Assert.True(roster.Disabled);
        Assert.False(roster.Connected);

        // Enabled again: may log in and work, but the token from before stays revoked.
        Assert.False((await kit.Rest.UpdateLawyer(admin, a.Id, new { disabled = false })).Disabled);
        var back = await kit.Rest.Login(a.Username, TestKit.Password);
        Assert.Equal(a.Id, back.UserId);
        Assert.Equal(HttpStatusCode.OK, (await kit.Raw(HttpMethod.Get, "/api/canned-replies", back.Token)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await kit.Raw(HttpMethod.Get, "/api/canned-replies", a.Token)).Status);
    }

    [Fact]
    public async Task A_password_reset_closes_the_old_tokens_connections_that_only_listen()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var admin = await kit.AdminToken();
        var lawyer = await kit.Lawyer([category], dialect, connect: false);
        // Connections that make no call after connecting: the hub filter, which checks the token at each call, never sees them.

        // Through the endpoint: this process drops them at once. (The renewal, below, cannot: its version check and
        // renewal fail here, so only the endpoint can close the connection.)
        await using var first = RawLawyer(kit, lawyer.Token);
        var firstClosed = ClosedOf(first);
        await first.StartAsync();
        using (host.CallFaults.Fail("ILawyerGrain.GetTokenVersion", "ILawyerGrain.RenewConnection"))
        {
            Assert.Equal(HttpStatusCode.NoContent, (await kit.Raw(HttpMethod.Post, $"/api/admin/lawyers/{lawyer.Id}/password", admin, new { password = "new-password-12351" })).Status);
            await firstClosed.WaitAsync(Wait);
        }

        // Revoked elsewhere (another process reset it, so none of this one's connections were dropped there): the renewal
        // of the connection finds its token's version stale and closes it.
        var fresh = await kit.Rest.Login(lawyer.Username, "new-password-12351");
        await using var second = RawLawyer(kit, fresh.Token);
        var secondClosed = ClosedOf(second);
        await second.StartAsync();
        await host.Services.GetRequiredService<IGrainFactory>().GetGrain<Hotline.Abstractions.ILawyerManagementGrain>(lawyer.Id)
            .SetPasswordHash(Hotline.Silo.Security.PasswordHasher.Hash("another-password-12351"));
        await secondClosed.WaitAsync(Wait);
    }

    [Fact]
    public async Task A_disable_that_failed_half_way_is_finished_when_the_admin_repeats_it()
    {
        await using var kit = new TestKit(host);
        var admin = await kit.AdminToken();
        var active = await kit.ActiveCase();
        var (a, worker, c) = active;

        // The disable is stored, then its step that returns the lawyer's chats cannot reach the router: the call fails.
        using (host.CallFaults.Fail("IRouterGrain.GetActive"))
            Assert.NotEqual(200, (await TestKit.RestError(() => kit.Rest.UpdateLawyer(admin, a.Id, new { disabled = true }))).Item1);
        Assert.True((await kit.RosterEntry(a.Id)).Disabled);

        // The admin repeats it. Before, an update of a lawyer already disabled only republished them, and the chat stayed
        // active with a lawyer who can no longer log in.
        Assert.True((await kit.Rest.UpdateLawyer(admin, a.Id, new { disabled = true })).Disabled);
        await worker.Hub.StatusChanges.WaitAsync(s => s.ConsultationId == c.Id && s.Status == "queued", Wait);
        var b = await kit.Lawyer([active.Category], active.Dialect);
        await b.Hub.Invoke<Lawyer>("SetAvailability", ["available"]);
        await TestKit.TakeAndClose(b, c.Id);
    }

    [Fact]
    public async Task A_connection_ends_when_its_token_expires()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var lawyer = await kit.Lawyer([category], dialect, connect: false);
        // The same lawyer's token (same version), issued to expire in 3 s.
        var version = int.Parse(new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(lawyer.Token).GetClaim(Hotline.Silo.Security.TokenService.VersionClaim).Value,
            System.Globalization.CultureInfo.InvariantCulture);
        var shortLived = host.Services.GetRequiredService<Hotline.Silo.Security.TokenService>()
            .Issue(lawyer.Id, Hotline.Silo.Security.Roles.Lawyer, "Lawyer " + lawyer.Username, TimeSpan.FromSeconds(3), version);

        await using var raw = RawLawyer(kit, shortLived);
        var closed = ClosedOf(raw);
        await raw.StartAsync();
        Assert.Equal(HubConnectionState.Connected, raw.State);
        // Before, a connection opened before its token expired kept working (offers, messages) for as long as it stayed
        // open. Now the server closes it at the expiry; a new connection with that token is refused.
        await closed.WaitAsync(Wait);
        Assert.Equal(HubConnectionState.Disconnected, raw.State);
        // Expired means refused at once, with no grace: before, the half-minute clock skew let the client reconnect, be
        // closed again, and so on until the skew ran out.
        Assert.Equal(HttpStatusCode.Unauthorized, (await kit.Raw(HttpMethod.Get, "/api/canned-replies", shortLived)).Status);
        await using var again = RawLawyer(kit, shortLived);
        Assert.Contains("401", (await Assert.ThrowsAnyAsync<Exception>(() => again.StartAsync())).Message);
    }

    [Fact]
    public async Task A_connect_the_lawyers_grain_refuses_closes_with_its_code_and_is_logged_quietly()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var lawyer = await kit.Lawyer([category], dialect, connect: false);
        await using (var first = RawLawyer(kit, lawyer.Token))
            await first.StartAsync(); // this process now holds the token's version (cached for TokenCheckSeconds)

        // Disabled a moment ago through another process, which could not drop this one's cache: the token still passes
        // here for a second or two, and the lawyer's grain refuses the connection.
        await host.Services.GetRequiredService<IGrainFactory>().GetGrain<Hotline.Abstractions.ILawyerManagementGrain>(lawyer.Id)
            .Update(new Hotline.Abstractions.LawyerUpdate { Disabled = true });
        await using var again = RawLawyer(kit, lawyer.Token);
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        again.Closed += e => { closed.TrySetResult(e); return Task.CompletedTask; };
        Exception? refusal;
        try { await again.StartAsync(); refusal = await closed.Task.WaitAsync(Wait); }
        catch (Exception e) when (e is not TimeoutException) { refusal = e; }

        // The client is told why, with the stable code; the server logs it as the client error it is. Before, the client
        // got "Connection closed with an error." and the server an Error entry with a stack trace.
        Assert.Contains("forbidden: the lawyer is disabled", refusal?.Message);
        Assert.Contains(host.Logs.Lines, l => l.StartsWith("Information Hotline.Silo.Hubs.HubErrorFilter: Hub connection refused: forbidden", StringComparison.Ordinal));
        Assert.Contains(host.Logs.Lines, l => l.StartsWith("Error Microsoft.AspNetCore.SignalR.HubConnectionHandler", StringComparison.Ordinal)); // SignalR's own entry...
        Assert.DoesNotContain(host.ConfiguredLogs.Lines, l => l.StartsWith("Error Microsoft.AspNetCore.SignalR", StringComparison.Ordinal)); // ...filtered out as configured
    }

    [Fact]
    public async Task A_lawyer_created_while_the_roster_could_not_be_told_can_log_in_once_the_admin_repeats_it()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var admin = await kit.AdminToken();
        var username = "t-roster-" + Guid.NewGuid().ToString("N")[..8];
        // The lawyer is stored, then the roster cannot be reached: the create fails, and login (which asks the roster
        // first) refuses the name.
        using (host.CallFaults.Fail("IRosterGrain.Add"))
            Assert.NotEqual(200, (await TestKit.RestError(() => kit.Rest.CreateLawyer(admin, username, TestKit.Password, "Roster", [category], [dialect], 2))).Item1);
        Assert.Equal((401, "unauthorized"), await TestKit.RestError(() => kit.Rest.Login(username, TestKit.Password)));

        // The admin repeats it: the name is taken (it was stored), and the repeat puts the lawyer on the roster.
        Assert.Equal((409, "conflict"), await TestKit.RestError(() => kit.Rest.CreateLawyer(admin, username, TestKit.Password, "Roster", [category], [dialect], 2)));
        Assert.Equal(Hotline.Abstractions.GrainKeys.LawyerId(username), (await kit.Rest.Login(username, TestKit.Password)).UserId);
    }
}
