namespace Hotline.E2E.Tests;

/// <summary>
/// The pages take every text field's length limits from <c>GET /api/limits</c> (the server's <c>HotlineLimits</c>), so a
/// page can never let a worker type more than the server accepts. The server here runs a non-default message limit.
/// </summary>
public sealed class LimitsInPagesTests(HotlineServer server) : IClassFixture<HotlineServer>
{
    [Fact]
    public async Task Every_limited_field_on_every_page_has_the_servers_limit()
    {
        var limits = await server.Http.GetFromJsonAsync<Dictionary<string, JsonElement>>("api/limits");
        Assert.NotNull(limits);
        Assert.Equal(3000, limits["maxMessageLength"].GetInt32());

        await using var launched = await Browser.StartAsync();
        var browser = launched.Browser;
        await using var context = await browser.NewContextAsync(new() { BaseURL = server.BaseUrl });
        var checkedFields = 0;
        foreach (var path in new[] { "/", "/lawyer.html", "/admin.html" })
        {
            var page = await context.NewPageAsync();
            await page.GotoAsync(path);
            await page.WaitForSelectorAsync("html[data-limits=applied]", new() { State = WaitForSelectorState.Attached, Timeout = 30_000 });
            var fields = await page.EvalOnSelectorAllAsync<FieldLimits[]>("[data-maxlength]",
                "els => els.map(e => ({ id: e.id, max: e.dataset.maxlength, maxLength: e.maxLength, min: e.dataset.minlength ?? null, minLength: e.minLength }))");
            Assert.NotEmpty(fields);
            foreach (var f in fields)
            {
                Assert.True(limits.ContainsKey(f.Max), $"{path} #{f.Id} names an unknown limit '{f.Max}'");
                Assert.Equal(limits[f.Max].GetInt32(), f.MaxLength);
                if (f.Min is not null) Assert.Equal(limits[f.Min].GetInt32(), f.MinLength);
                checkedFields++;
            }
            // No field keeps a hard-coded maxlength outside the limits: every textarea is limited from the server.
            var unlimited = await page.EvalOnSelectorAllAsync<string[]>("textarea:not([data-maxlength])", "els => els.map(e => e.id)");
            Assert.True(unlimited.Length == 0, $"{path}: textareas without a server limit: {string.Join(", ", unlimited)}");
            await page.CloseAsync();
        }
        Assert.True(checkedFields >= 10, $"only {checkedFields} limited fields found");
    }

    private sealed class FieldLimits
    {
        public string Id { get; set; } = "";
        public string Max { get; set; } = "";
        public int MaxLength { get; set; }
        public string? Min { get; set; }
        public int MinLength { get; set; }
    }
}
