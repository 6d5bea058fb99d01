using System.Net;
using System.Text.Json;
using Aetherium.Contracts;
using Aetherium.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Aetherium.Lease.Tests;

/// <summary>
/// What a lease is charged (per started minute used) and an organisation's usage over a period. The service reads
/// the real clock, so time passing is played by moving a lease's stored times into the past, as if rented earlier.
/// </summary>
public sealed class BillingTests(LeaseFixture fx) : IClassFixture<LeaseFixture>
{
    private static decimal Money(decimal value) => Math.Round(value, 6, MidpointRounding.AwayFromZero);

    private static JsonElement Cost(JsonElement lease) => lease.GetProperty("cost");

    private static decimal Dec(JsonElement e, string property) => e.GetProperty(property).GetDecimal();

    /// <summary>Moves a lease (start and end together) this far into the past.</summary>
    private Task AgeAsync(Guid id, TimeSpan by) => fx.Factory.DbAsync(db => db.Database.ExecuteSqlAsync(
        $"UPDATE leases SET leased_from = leased_from - {by}, leased_until = leased_until - {by} WHERE id = {id}"));

    [Fact]
    public async Task Releasing_early_charges_the_started_minutes_and_shows_the_rest_not_charged()
    {
        var token = LeaseFixture.NewTenant(out _);
        var rented = await fx.Client.RentAsync(token, new { duration_hours = 1 });
        var id = rented.Id();
        var hourly = Dec(Cost(rented), "rate_per_hour");
        var reserved = Dec(Cost(rented), "reserved");
        Assert.Equal(Money(hourly), reserved);
        Assert.Equal(reserved, Dec(Cost(rented), "total")); // the old field stays

        // Released a minute and a second after the start (its VM never ran): two started minutes are charged.
        await AgeAsync(id, TimeSpan.FromSeconds(61));
        var released = await (await fx.Client.PostAsync($"/api/v1/leases/{id}/release", null, token)).JsonAsync(HttpStatusCode.OK);
        var expectedCharge = Money(hourly * 2 / 60);
        foreach (var cost in new[] { Cost(released), Cost(await fx.Client.LeaseAsync(token, id)) })
        {
            Assert.Equal(2, cost.GetProperty("billed_minutes").GetInt32());
            Assert.Equal(expectedCharge, Dec(cost, "charged"));
            Assert.Equal(reserved - expectedCharge, Dec(cost, "not_charged"));
            Assert.Equal(reserved, Dec(cost, "reserved"));
            Assert.Equal("USD", cost.Str("currency"));
        }
    }

    [Fact]
    public async Task An_active_lease_shows_what_it_has_cost_so_far_and_nothing_not_charged_yet()
    {
        var token = LeaseFixture.NewTenant(out _);
        var id = (await fx.Client.RentAsync(token, new { duration_hours = 1 })).Id();
        await AgeAsync(id, TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        var cost = Cost(await fx.Client.LeaseAsync(token, id));
        Assert.Equal(11, cost.GetProperty("billed_minutes").GetInt32());
        Assert.Equal(Money(Dec(cost, "rate_per_hour") * 11 / 60), Dec(cost, "charged"));
        Assert.Equal(JsonValueKind.Null, cost.TryGetProperty("not_charged", out var n) ? n.ValueKind : JsonValueKind.Null);
    }

    [Fact]
    public async Task Expiry_charges_the_whole_reservation()
    {
        var token = LeaseFixture.NewTenant(out _);
        var id = (await fx.Client.RentAsync(token, new { duration_seconds = 5 })).Id();
        await fx.Scheduler.Bus.WaitForAsync<LeaseExpired>(e => e.LeaseId == id);
        var lease = await Eventually.GetAsync(() => fx.Client.LeaseAsync(token, id), l => l.Str("status") == "expired");
        var cost = Cost(lease);
        Assert.True(Dec(cost, "reserved") > 0);
        Assert.Equal(Dec(cost, "reserved"), Dec(cost, "charged"));
        Assert.Equal(0m, Dec(cost, "not_charged"));
        Assert.Equal(1, cost.GetProperty("billed_minutes").GetInt32());
    }

    [Fact]
    public async Task Extending_adds_to_the_reservation_and_a_later_release_charges_past_the_first_hour()
    {
        var token = LeaseFixture.NewTenant(out _);
        var rented = await fx.Client.RentAsync(token, new { duration_hours = 1, count = 2 });
        var id = rented.Id();
        var hourly = Dec(Cost(rented), "rate_per_hour");
        await (await fx.Client.PostAsync($"/api/v1/leases/{id}/extend", new { additional_hours = 1 }, token)).JsonAsync(HttpStatusCode.OK);
        var extended = Cost(await fx.Client.LeaseAsync(token, id));
        Assert.Equal(Money(hourly) * 2, Dec(extended, "reserved"));

        // Ninety minutes and a second in: into the extension, 91 started minutes.
        await AgeAsync(id, TimeSpan.FromMinutes(90) + TimeSpan.FromSeconds(1));
        var cost = Cost(await (await fx.Client.PostAsync($"/api/v1/leases/{id}/release", null, token)).JsonAsync(HttpStatusCode.OK));
        Assert.Equal(91, cost.GetProperty("billed_minutes").GetInt32());
        Assert.Equal(Money(hourly * 91 / 60), Dec(cost, "charged"));
        Assert.Equal(Dec(extended, "reserved") - Dec(cost, "charged"), Dec(cost, "not_charged"));
    }

    /// <summary>Gives a lease fixed past times and an end, as if it had run then.</summary>
    private Task PlaceInPastAsync(Guid id, string status, DateTimeOffset from, TimeSpan reserved, DateTimeOffset ended) =>
        fx.Factory.DbAsync(db => db.Database.ExecuteSqlAsync(
            $"UPDATE leases SET status = {status}, leased_from = {from}, leased_until = {from + reserved}, ended_at = {ended} WHERE id = {id}"));

    [Fact]
    public async Task Usage_for_a_period_counts_each_organisations_own_leases_by_their_overlap_with_it()
    {
        var tokenA = LeaseFixture.NewTenant(out var orgA);
        var tokenB = LeaseFixture.NewTenant(out var orgB);
        var day = new DateTimeOffset(2026, 1, 10, 0, 0, 0, TimeSpan.Zero);
        var query = "/api/v1/usage?from=2026-01-10T00:00:00Z&to=2026-01-11T00:00:00Z";

        // A: two VMs from 23:00 the day before, released at 01:00 (one of its two billed hours in the period);
        // one VM from 23:30, expired at 01:30 the day after (half an hour of its two in the period).
        var a1 = await fx.Client.RentAsync(tokenA, new { duration_hours = 3, count = 2 });
        var a2 = await fx.Client.RentAsync(tokenA, new { duration_hours = 2 });
        await PlaceInPastAsync(a1.Id(), "released", day.AddHours(-1), TimeSpan.FromHours(3), day.AddHours(1));
        await PlaceInPastAsync(a2.Id(), "expired", day.AddHours(23.5), TimeSpan.FromHours(2), day.AddHours(25.5).AddSeconds(3));
        // and one VM from 23:59:30, released after 20 s: its started minute, charged whole, runs past the period's end
        // but all its use is inside, so all of it counts.
        var a3 = await fx.Client.RentAsync(tokenA, new { duration_hours = 1 });
        await PlaceInPastAsync(a3.Id(), "released", day.AddHours(24).AddSeconds(-30), TimeSpan.FromHours(1), day.AddHours(24).AddSeconds(-10));
        // B: one VM for an hour inside the period; and a lease of B's long before it.
        var b1 = await fx.Client.RentAsync(tokenB, new { duration_hours = 2 });
        var b2 = await fx.Client.RentAsync(tokenB, new { duration_hours = 1 });
        await PlaceInPastAsync(b1.Id(), "released", day.AddHours(10), TimeSpan.FromHours(2), day.AddHours(11));
        await PlaceInPastAsync(b2.Id(), "expired", day.AddDays(-5), TimeSpan.FromHours(1), day.AddDays(-5).AddHours(1));

        var usageA = await (await fx.Client.GetAsync(query, tokenA)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(orgA, usageA.Id("organization_id"));
        Assert.Equal(2, usageA.GetProperty("leases").GetProperty("started").GetInt32());
        Assert.Equal(2, usageA.GetProperty("leases").GetProperty("ended").GetInt32());
        Assert.Equal(Money(2.5m + 1m / 60), Dec(usageA, "vm_hours"));
        // Charged: a1 two hours, a2 its whole two hours, a3 one minute; the period's shares: 1/2, 1/4, all.
        decimal Rate(JsonElement lease) => Dec(Cost(lease), "rate_per_hour");
        var costA = Money(Money(Rate(a1) * 2) / 2 + Money(Rate(a2) * 2) / 4 + Money(Rate(a3) / 60));
        Assert.Equal(costA, Dec(usageA, "cost"));
        var dayA = Assert.Single(usageA.Items("days"));
        Assert.Equal("2026-01-10", dayA.Str("date"));
        Assert.Equal(Dec(usageA, "vm_hours"), Dec(dayA, "vm_hours"));

        var usageB = await (await fx.Client.GetAsync(query, tokenB)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(orgB, usageB.Id("organization_id"));
        Assert.Equal(1, usageB.GetProperty("leases").GetProperty("started").GetInt32());
        Assert.Equal(1m, Dec(usageB, "vm_hours"));
        Assert.Equal(Money(Dec(Cost(b1), "rate_per_hour")), Dec(usageB, "cost"));

        // B cannot ask for A's usage; the admin can.
        await (await fx.Client.GetAsync(query + $"&organization_id={orgA}", tokenB)).JsonAsync(HttpStatusCode.Forbidden);
        var byAdmin = await (await fx.Client.GetAsync(query + $"&organization_id={orgA}", TestTokens.Admin())).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(usageA.GetRawText(), byAdmin.GetRawText());
    }

    [Theory]
    [InlineData("from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "from")]
    [InlineData("from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from")]
    [InlineData("from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to")]
    [InlineData("from=yesterday&to=2026-01-01T00:00:00Z", "from")]
    [InlineData("from=2026-01-01T00:00:00Z&to=2026-13-01", "to")]
    public async Task Usage_refuses_a_bad_period_naming_the_field(string query, string field)
    {
        var token = LeaseFixture.NewTenant(out _);
        var problem = await (await fx.Client.GetAsync("/api/v1/usage?" + query, token)).JsonAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
    }
}
