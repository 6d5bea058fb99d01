using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Aetherium.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit;

namespace Aetherium.ServiceDefaults.Tests;

/// <summary>
/// The last safety net of ServiceDefaults: a value PostgreSQL refuses (a NUL, \u0000 in jsonb, a string or a number
/// too large for its column) that slipped past a route's checks is a 400 ProblemDetails and a warning naming the
/// route, not a 500.
/// </summary>
public sealed class InvalidDataTests : IAsyncLifetime
{
    private WebApplication? _app;
    private HttpClient _http = null!;
    private readonly LogCapture _logs = new();

    public async Task InitializeAsync()
    {
        var infra = await SharedInfrastructure.GetAsync();
        var database = await infra.CreateDatabaseAsync(SharedInfrastructure.UniqueName("invalid"));
        await using (var setup = NpgsqlDataSource.Create(database))
            await setup.CreateCommand("CREATE TABLE things (name varchar(8), size smallint, labels jsonb)").ExecuteNonQueryAsync();

        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.AddServiceDefaults();
        builder.Logging.AddProvider(_logs);
        builder.Services.AddSingleton(NpgsqlDataSource.Create(database));
        _app = builder.Build();
        _app.MapDefaultEndpoints(mapOpenApi: false);
        // A route with no checks of its own, so every value reaches the database.
        _app.MapPost("/things/{kind}", async (string kind, JsonObject body, NpgsqlDataSource db) =>
        {
            await using var insert = db.CreateCommand("INSERT INTO things (name, size, labels) VALUES ($1, $2, $3::jsonb)");
            insert.Parameters.Add(new NpgsqlParameter { Value = body["name"]?.GetValue<string>() ?? "x" });
            insert.Parameters.Add(new NpgsqlParameter { Value = body["size"]?.GetValue<int>() ?? 1 });
            insert.Parameters.Add(new NpgsqlParameter { Value = body["labels"]?.ToJsonString() ?? "{}" });
            await insert.ExecuteNonQueryAsync();
            return Microsoft.AspNetCore.Http.Results.Created();
        });
        await _app.StartAsync();
        _http = _app.GetTestClient();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }

    [Theory]
    [InlineData("nul", """{"name":"a\u0000b"}""", "22021")]
    [InlineData("jsonb", """{"labels":{"k":"a\u0000b"}}""", "22P05")]
    [InlineData("long", """{"name":"far-too-long-for-eight"}""", "22001")]
    [InlineData("range", """{"size":100000}""", "22003")]
    public async Task A_value_the_database_refuses_is_a_400_problem_and_a_warning_naming_the_route(string kind, string body, string sqlState)
    {
        using var response = await _http.PostAsync($"/things/{kind}", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(400, JsonNode.Parse(text)!["status"]!.GetValue<int>());
        Assert.Contains(_logs.Lines, l => l.StartsWith("Warning") && l.Contains("POST /things/{kind}") && l.Contains(sqlState));

        // The route still works for good values.
        using var good = await _http.PostAsJsonAsync($"/things/{kind}", new { name = "ok", size = 3 });
        Assert.Equal(HttpStatusCode.Created, good.StatusCode);
    }
}
