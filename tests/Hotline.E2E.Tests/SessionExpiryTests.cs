using Hotline.Silo.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Hotline.E2E.Tests;

/// <summary>
/// A lawyer console whose token expires goes back to its sign-in form: the server closes the hub connection at the
/// token's expiry and refuses it from then on, and the page stops reconnecting with a token no retry will get accepted.
/// </summary>
public sealed class SessionExpiryTests(HotlineServer server, ITestOutputHelper output) : IClassFixture<HotlineServer>
{
    private const string Password = "e2e-expiry-12351";

    [Fact]
    public async Task A_lawyer_console_whose_token_expires_goes_back_to_sign_in()
    {
        SetDefaultExpectTimeout(30_000);
        await using var launched = await Browser.StartAsync();
        var errors = new List<string>();
        var adminToken = await server.LoginAsync("admin", "admin12351");
        var username = "expiry." + Guid.NewGuid().ToString("N")[..8];
        await server.CreateLawyerAsync(adminToken, username, Password, "到期 律师", ["unpaid_wages"], ["mandarin"], 2);
        // The console's session as its sign-in stores it, with a token of the same lawyer (same version) that expires in
        // 8 s (4 s could run out before the console had loaded while another E2E class ran beside it).
        var version = int.Parse(new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(await server.LoginAsync(username, Password))
            .GetClaim(TokenService.VersionClaim).Value, System.Globalization.CultureInfo.InvariantCulture);
        var lawyerId = "lw-" + username;
        var token = server.Services.GetRequiredService<TokenService>().Issue(lawyerId, Roles.Lawyer, "到期 律师", TimeSpan.FromSeconds(8), version);
        var session = System.Text.Json.JsonSerializer.Serialize(new { userId = lawyerId, role = "lawyer", displayName = "到期 律师", token });

        await using var context = await launched.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseUrl, Locale = "zh-CN" });
        await context.AddInitScriptAsync($"sessionStorage.setItem('hotline.lawyer', {System.Text.Json.JsonSerializer.Serialize(session)});");
        var page = await PageWatch.Open(context, "lawyer", errors, output);
        await page.GotoAsync("/lawyer.html");
        await Expect(page.Locator("#view-console")).ToBeVisibleAsync();
        await Expect(page.Locator("#status-dot[data-status]")).ToHaveCountAsync(1);

        // The token expires: the page signs out to its form. Before, it showed "reconnecting" until it was reloaded.
        await Expect(page.Locator("#view-login")).ToBeVisibleAsync();
        await Expect(page.Locator("#view-console")).ToBeHiddenAsync();
        Assert.Empty(errors);
    }
}
