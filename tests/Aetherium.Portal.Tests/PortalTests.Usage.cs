using System.Globalization;
using Aetherium.Identity.Tests;
using Aetherium.Testing.System;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Aetherium.Portal.Tests;

public sealed partial class PortalTests
{
    [Fact]
    public async Task A_tenant_releases_a_lease_early_sees_what_was_charged_and_the_usage_of_the_month()
    {
        await using var browser = await PortalBrowser.OpenAsync(system.Url, "usage", output);
        await browser.RunAsync(async page =>
        {
            var username = NewName("usage");
            await SignUpAsync(page, username);
            await ExpectLiveAsync(page);
            await page.GetByLabel("Number of VMs").FillAsync("1");
            await page.GetByLabel("CPU cores each").FillAsync("1");
            await page.GetByLabel("Memory each (MiB)").FillAsync("256");
            await page.GetByLabel("Disk each (GB)").FillAsync("1");
            await page.GetByLabel("Duration (hours)").FillAsync("1");
            await page.GetByRole(AriaRole.Button, new() { Name = "Rent", Exact = true }).ClickAsync();
            var lease = page.Locator("article.lease").First;
            await Expect(lease).ToHaveAttributeAsync("data-status", "active");

            // Released at once: one started minute charged, the rest of the hour shown as not charged.
            await lease.GetByRole(AriaRole.Button, new() { Name = "Release…" }).ClickAsync();
            await lease.GetByRole(AriaRole.Button, new() { Name = "Yes, release" }).ClickAsync();
            await Expect(lease).ToHaveAttributeAsync("data-status", "released");
            var charged = lease.Locator("[data-field=charged]");
            await Expect(charged).ToContainTextAsync("1 started min");
            await Expect(charged).ToContainTextAsync("not charged");
            var amount = decimal.Parse((await charged.GetAttributeAsync("data-value"))!, CultureInfo.InvariantCulture);
            Assert.True(amount > 0);
            await browser.ScreenshotAsync("charged");

            // The usage page (this month so far) counts that lease and its charge.
            await page.GetByRole(AriaRole.Link, new() { Name = "Usage" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Usage", Level = 1 })).ToBeVisibleAsync();
            await Expect(page.Locator("[data-field=leases]")).ToHaveTextAsync("1 started, 1 ended");
            var http = system.Gateway(await Api.LoginAsync(system.Gateway(), username, Password));
            var usage = await Api.ReadAsync(await http.GetAsync("/api/v1/usage"), 200);
            Assert.Equal(amount, usage["cost"]!.GetValue<decimal>());
            Assert.Equal(amount, decimal.Parse((await page.Locator("section[data-cost]").GetAttributeAsync("data-cost"))!, CultureInfo.InvariantCulture));
            await browser.ScreenshotAsync("usage");

            // A period that ends before it starts is refused, the message under the field.
            await page.GetByLabel("From").FillAsync("2026-02-01");
            await page.GetByLabel("To", new() { Exact = true }).FillAsync("2026-01-01");
            await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
            await Expect(page.Locator("#field-from-error")).ToHaveTextAsync("must be before to");
        });
    }
}
