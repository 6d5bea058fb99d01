using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Aetherium.Contracts;
using Xunit;

namespace Aetherium.Lease.Tests;

public sealed class ValidationTests(LeaseFixture fx) : IClassFixture<LeaseFixture>
{
    public static TheoryData<string, string> BadRents => new()
    {
        { """{"duration_hours": 1, "duration_seconds": 60}""", "duration_hours" },
        { """{"count": 1}""", "duration_hours" },
        { """{}""", "duration_hours" },
        { """{"duration_hours": 0}""", "duration_hours" },
        { """{"duration_hours": -2}""", "duration_hours" },
        { """{"duration_hours": 721}""", "duration_hours" },
        { """{"duration_hours": 1e27}""", "duration_hours" },
        { """{"duration_hours": -79228162514264337593543950335}""", "duration_hours" },
        { """{"duration_seconds": 4}""", "duration_seconds" },
        { """{"duration_seconds": 4.99}""", "duration_seconds" },
        { """{"duration_seconds": 2592001}""", "duration_seconds" },
        { """{"duration_hours": 1, "count": 0}""", "count" },
        { """{"duration_hours": 1, "count": 21}""", "count" },
        { """{"duration_hours": 1, "count": -1}""", "count" },
        { """{"duration_hours": 1, "count": "two"}""", "count" },
        { """{"duration_hours": 1, "count": 1.5}""", "count" },
        { """{"duration_hours": "1"}""", "duration_hours" },
        { """{"duration_hours": 1, "ssh_public_key": "not a key"}""", "ssh_public_key" },
        { """{"duration_hours": 1, "ssh_public_key": "ssh-ed25519 @@@notbase64@@@"}""", "ssh_public_key" },
        { """{"duration_hours": 1, "ssh_public_key": "ssh-dss AAAAB3NzaC1kc3MAAACBAP8="}""", "ssh_public_key" },
        { """{"duration_hours": 1, "ssh_public_key": ""}""", "ssh_public_key" },
        { """{"duration_hours": 1, "ssh_public_key": 42}""", "ssh_public_key" },
        { """{"duration_hours": 1, "name": "has spaces"}""", "name" },
        { """{"duration_hours": 1, "name": ""}""", "name" },
        { """{"duration_hours": 1, "spec": {"cpu_cores": 0}}""", "spec.cpu_cores" },
        { """{"duration_hours": 1, "spec": {"memory_mb": 64}}""", "spec.memory_mb" },
        { """{"duration_hours": 1, "spec": {"disk_gb": 0}}""", "spec.disk_gb" },
        { """{"duration_hours": 1, "spec": {"image_id": "Not An Image"}}""", "spec.image_id" },
        { """{"duration_hours": 1, "spec": {"requires_gpu": true, "gpu_count": 0}}""", "spec.gpu_count" },
        { """{"duration_hours": 1, "spec": {"requires_gpu": false, "gpu_count": 2}}""", "spec.requires_gpu" },
        { """{"duration_hours": 1, "spec": {"gpu_count": 17}}""", "spec.gpu_count" },
        { """{"duration_hours": 1, "spec": {"cpu_cores": "many"}}""", "spec.cpu_cores" },
        { """{"duration_hours": 1, "spec": "large"}""", "spec" },
        { """{"duration_hours": 1, "spec": {"cpus": 2}}""", "spec.cpus" },
        { """{"duration_hour": 1}""", "duration_hour" },
        { """[1, 2]""", "body" },
        { """{"duration_hours": 1""", "body" },
        { """null""", "body" },
        { "", "body" },
    };

    [Theory]
    [MemberData(nameof(BadRents))]
    public async Task A_bad_rent_is_a_400_naming_the_field_and_rents_nothing(string body, string field)
    {
        var token = LeaseFixture.NewTenant(out var org);
        var problem = await (await fx.Client.PostAsync("/api/v1/leases", body, token)).JsonAsync(HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), $"no error for '{field}' in {problem}");
        Assert.NotEmpty(messages.EnumerateArray());

        var list = await (await fx.Client.GetAsync("/api/v1/leases", token)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, list.GetProperty("total").GetInt32());
        Assert.DoesNotContain(fx.Scheduler.Bus.Received<CreateVm>(), c => c.OrganizationId == org);
    }

    [Theory]
    [InlineData("ed25519")]
    [InlineData("rsa")]
    [InlineData("ecdsa")]
    public async Task Real_ssh_public_keys_are_accepted(string kind)
    {
        var token = LeaseFixture.NewTenant(out _);
        var key = kind switch { "ed25519" => SshKeys.Ed25519(), "rsa" => SshKeys.Rsa(), _ => SshKeys.EcdsaP256() };
        var rented = await fx.Client.RentAsync(token, new { duration_hours = 0.5, ssh_public_key = key });
        Assert.Equal("ssh_key", rented.Items("access")[0].Str("auth"));
    }

    [Fact]
    public async Task Keys_that_only_look_right_are_refused()
    {
        var token = LeaseFixture.NewTenant(out _);
        var shortRsa = SshKeys.Rsa(1024);
        var wrongType = "ssh-ed25519 " + SshKeys.Rsa().Split(' ')[1];
        var truncated = "ssh-ed25519 " + Convert.ToBase64String(SshKeys.Wire(Encoding.ASCII.GetBytes("ssh-ed25519"), new byte[16]));
        foreach (var key in new[] { shortRsa, wrongType, truncated, SshKeys.Ed25519() + "\nssh-ed25519 AAAA" })
        {
            var problem = await (await fx.Client.PostAsync("/api/v1/leases", new { duration_hours = 1, ssh_public_key = key }, token))
                .JsonAsync(HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty("ssh_public_key", out _), problem.ToString());
        }
    }

    public static TheoryData<string, string> BadExtensions => new()
    {
        { """{}""", "additional_hours" },
        { """{"additional_hours": 1, "additional_seconds": 10}""", "additional_hours" },
        { """{"additional_hours": 0}""", "additional_hours" },
        { """{"additional_hours": -1}""", "additional_hours" },
        { """{"additional_hours": 10000}""", "additional_hours" },
        { """{"additional_seconds": 0.5}""", "additional_seconds" },
        { """{"additional_seconds": "soon"}""", "additional_seconds" },
        { """{"additional_minutes": 5}""", "additional_minutes" },
    };

    [Theory]
    [MemberData(nameof(BadExtensions))]
    public async Task A_bad_extension_is_a_400_and_changes_nothing(string body, string field)
    {
        var token = LeaseFixture.NewTenant(out _);
        var rented = await fx.Client.RentAsync(token, new { duration_hours = 1 });
        var problem = await (await fx.Client.PostAsync($"/api/v1/leases/{rented.Id()}/extend", body, token)).JsonAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"no error for '{field}' in {problem}");
        var read = await fx.Client.LeaseAsync(token, rented.Id());
        Assert.Equal(rented.Time("leased_until"), read.Time("leased_until"));
        Assert.Equal(rented.GetProperty("cost").GetProperty("total").GetDecimal(), read.GetProperty("cost").GetProperty("total").GetDecimal());
    }

    [Fact]
    public async Task Bad_list_queries_and_unknown_leases_are_precise_4xx()
    {
        var token = LeaseFixture.NewTenant(out _);
        foreach (var (query, field) in new[] { ("status=running", "status"), ("page=0", "page"), ("limit=1000", "limit") })
        {
            var problem = await (await fx.Client.GetAsync($"/api/v1/leases?{query}", token)).JsonAsync(HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        }
        await (await fx.Client.GetAsync("/api/v1/leases?page=abc", token)).JsonAsync(HttpStatusCode.BadRequest);
        await (await fx.Client.GetAsync($"/api/v1/leases/{Guid.NewGuid()}", token)).JsonAsync(HttpStatusCode.NotFound);
        await (await fx.Client.PostAsync($"/api/v1/leases/{Guid.NewGuid()}/extend", new { additional_hours = 1 }, token)).JsonAsync(HttpStatusCode.NotFound);
        await (await fx.Client.PostAsync($"/api/v1/leases/{Guid.NewGuid()}/release", null, token)).JsonAsync(HttpStatusCode.NotFound);

        using var form = new HttpRequestMessage(HttpMethod.Post, "/api/v1/leases")
        {
            Content = new StringContent("duration_hours=1", Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        form.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await fx.Client.SendAsync(form)).StatusCode);
    }
}
