namespace Hotline.E2E.Tests;

/// <summary>Opens pages that report what the browser complains about: console errors to the test output, CSP violations and page errors to a list the test asserts empty.</summary>
public static class PageWatch
{
    public static async Task<IPage> Open(IBrowserContext context, string name, List<string> errors, ITestOutputHelper output)
    {
        var page = await context.NewPageAsync();
        page.Console += (_, m) =>
        {
            if (m.Type is "error" or "warning") output.WriteLine($"[{name} console.{m.Type}] {m.Text}");
            // The pages run under a Content-Security-Policy without inline script or style: any violation fails the test.
            if (m.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase)) lock (errors) errors.Add($"[{name} csp] {m.Text}");
        };
        page.PageError += (_, e) =>
        {
            lock (errors) errors.Add($"[{name}] {e}");
            output.WriteLine($"[{name} pageerror] {e}");
        };
        return page;
    }

    /// <summary>Opens <paramref name="path"/> (the lawyer console or the admin wall) and signs in through its form.</summary>
    public static async Task SignIn(IPage page, string path, string username, string password)
    {
        await page.GotoAsync(path);
        await page.GetByTestId("login-username").FillAsync(username);
        await page.GetByTestId("login-password").FillAsync(password);
        await page.GetByTestId("login-submit").ClickAsync();
    }
}
