using System.Net;
using Aetherium.Testing;
using Xunit;

namespace Aetherium.Lease.Tests;

public sealed class IsolationTests(LeaseFixture fx) : IClassFixture<LeaseFixture>
{
    [Fact]
    public async Task A_tenant_sees_and_changes_only_its_own_organisations_leases()
    {
        var alice = LeaseFixture.NewTenant(out var orgA);
        var alicesColleague = TestTokens.User(orgA);
        var bob = LeaseFixture.NewTenant(out var orgB);
        var aliceLease = (await fx.Client.RentAsync(alice, new { duration_hours = 1 })).Id();
        var bobLease = (await fx.Client.RentAsync(bob, new { duration_hours = 1 })).Id();

        // Another organisation's lease does not exist for bob: 404 to read, extend and release.
        await (await fx.Client.GetAsync($"/api/v1/leases/{aliceLease}", bob)).JsonAsync(HttpStatusCode.NotFound);
        await (await fx.Client.PostAsync($"/api/v1/leases/{aliceLease}/extend", new { additional_hours = 1 }, bob)).JsonAsync(HttpStatusCode.NotFound);
        await (await fx.Client.PostAsync($"/api/v1/leases/{aliceLease}/release", null, bob)).JsonAsync(HttpStatusCode.NotFound);
        var bobsList = await (await fx.Client.GetAsync("/api/v1/leases", bob)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal([bobLease], bobsList.Items("leases").Select(l => l.Id()));
        Assert.Equal(1, bobsList.GetProperty("total").GetInt32());
        // Asking for another organisation by filter does not widen a tenant's view.
        var filtered = await (await fx.Client.GetAsync($"/api/v1/leases?organization_id={orgA}", bob)).JsonAsync(HttpStatusCode.OK);
        Assert.Empty(filtered.Items("leases"));

        // Alice's lease is untouched, and her colleague in the same organisation sees and manages it.
        var aliceView = await fx.Client.LeaseAsync(alicesColleague, aliceLease);
        Assert.Equal("active", aliceView.Str("status"));
        Assert.Equal(orgA, aliceView.Id("organization_id"));
        await (await fx.Client.PostAsync($"/api/v1/leases/{aliceLease}/release", null, alicesColleague)).JsonAsync(HttpStatusCode.OK);

        // The admin sees everyone's leases and can filter them.
        var admin = TestTokens.Admin();
        await fx.Client.LeaseAsync(admin, bobLease);
        var all = await (await fx.Client.GetAsync("/api/v1/leases?limit=100", admin)).JsonAsync(HttpStatusCode.OK);
        Assert.Contains(aliceLease, all.Items("leases").Select(l => l.Id()));
        Assert.Contains(bobLease, all.Items("leases").Select(l => l.Id()));
        var released = await (await fx.Client.GetAsync($"/api/v1/leases?status=released&organization_id={orgA}", admin)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal([aliceLease], released.Items("leases").Select(l => l.Id()));
        var bobsActive = await (await fx.Client.GetAsync($"/api/v1/leases?status=active&organization_id={orgB}", admin)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal([bobLease], bobsActive.Items("leases").Select(l => l.Id()));
    }

    [Fact]
    public async Task Listing_is_paginated_newest_first()
    {
        var token = LeaseFixture.NewTenant(out _);
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++) ids.Add((await fx.Client.RentAsync(token, new { duration_hours = 1 })).Id());

        var page1 = await (await fx.Client.GetAsync("/api/v1/leases?page=1&limit=2", token)).JsonAsync(HttpStatusCode.OK);
        var page3 = await (await fx.Client.GetAsync("/api/v1/leases?page=3&limit=2", token)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal((5, 1, 2), (page1.GetProperty("total").GetInt32(), page1.GetProperty("page").GetInt32(), page1.GetProperty("limit").GetInt32()));
        Assert.Equal([ids[4], ids[3]], page1.Items("leases").Select(l => l.Id()));
        Assert.Equal([ids[0]], page3.Items("leases").Select(l => l.Id()));
    }

    [Fact]
    public async Task Without_a_token_only_the_price_list_and_the_api_description_answer()
    {
        await (await fx.Client.GetAsync("/api/v1/leases", null)).JsonAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fx.Client.PostAsync("/api/v1/leases", new { duration_hours = 1 }, null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fx.Client.GetAsync($"/api/v1/leases/{Guid.NewGuid()}", null)).StatusCode);
        await (await fx.Client.GetAsync("/api/v1/pricing", null)).JsonAsync(HttpStatusCode.OK);

        var openApi = await (await fx.Client.GetAsync("/openapi/v1.json", null)).JsonAsync(HttpStatusCode.OK);
        var paths = openApi.GetProperty("paths");
        foreach (var path in new[] { "/api/v1/leases", "/api/v1/leases/{id}", "/api/v1/leases/{id}/extend", "/api/v1/leases/{id}/release", "/api/v1/pricing" })
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is described");
    }
}
