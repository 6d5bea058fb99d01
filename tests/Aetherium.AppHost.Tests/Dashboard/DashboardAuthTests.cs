using System.Net;
using Xunit;

namespace Aetherium.AppHost.Tests.Dashboard;

/// <summary>The browser token: nothing of the dashboard is served without the session its login link sets.</summary>
public sealed class DashboardAuthTests
{
    [Fact]
    public async Task Without_signing_in_every_page_and_API_refuses()
    {
        var (app, dashboard) = await DashboardClient.StartEmptyAppAsync();
        await using var running = app;
        using var anonymous = DashboardClient.Anonymous(dashboard);

        foreach (var path in new[] { "/", "/app.js", "/api/resources", "/api/traces", "/api/logs", "/api/metrics", "/api/queues", "/api/console/x/stream" })
        {
            using var response = await anonymous.Http.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{path}: {response.StatusCode}");
            var body = await response.Content.ReadAsStringAsync();
            if (path.StartsWith("/api")) Assert.Contains("Sign in first", body);
            else Assert.Contains("Browser token", body); // the login form, not the page
        }
        using var post = await anonymous.Http.PostAsync("/api/resources/x/stop", null);
        Assert.Equal(HttpStatusCode.Unauthorized, post.StatusCode);
    }

    [Fact]
    public async Task A_wrong_token_or_a_forged_cookie_is_refused()
    {
        var (app, dashboard) = await DashboardClient.StartEmptyAppAsync();
        await using var running = app;
        using var anonymous = DashboardClient.Anonymous(dashboard);

        using var wrong = await anonymous.Http.GetAsync("/login?t=" + new string('0', dashboard.BrowserToken.Length));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.False(wrong.Headers.Contains("Set-Cookie"));

        using var forged = new HttpRequestMessage(HttpMethod.Get, "/api/resources");
        forged.Headers.Add("Cookie", "aetherium-dashboard=" + dashboard.BrowserToken); // the token itself is not the session
        using var response = await anonymous.Http.SendAsync(forged);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task The_login_link_sets_an_http_only_strict_cookie_that_opens_pages_and_API()
    {
        var (app, dashboard) = await DashboardClient.StartEmptyAppAsync(new Dictionary<string, string?> { ["AppHost:BrowserToken"] = "my-configured-token" });
        await using var running = app;
        Assert.Equal($"{dashboard.Url}/login?t=my-configured-token", dashboard.LoginUrl);
        using var anonymous = DashboardClient.Anonymous(dashboard);

        using var login = await anonymous.Http.GetAsync(dashboard.LoginUrl);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/", login.Headers.Location?.OriginalString);
        var cookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("my-configured-token", cookie);

        using var page = await anonymous.Http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<nav aria-label=\"Dashboard sections\">", await page.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await anonymous.Http.GetAsync("/api/resources")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.Http.GetAsync("/app.js")).StatusCode);
    }
}
