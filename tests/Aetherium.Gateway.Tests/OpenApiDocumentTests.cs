using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Aetherium.Testing.System;
using Xunit;

namespace Aetherium.Gateway.Tests;

/// <summary>The one API document the gateway aggregates from the services (DESIGN §5), as /docs shows it.</summary>
[Collection(GatewayCollection.Name)]
public sealed partial class OpenApiDocumentTests(GatewayFixture system)
{
    /// <summary>
    /// DESIGN §5's table, copied here so the repository stands alone (keep the two in step). The /nodes/...
    /// alias of /workers/... is not listed: the document describes each operation once, under /workers.
    /// </summary>
    public static readonly TheoryData<string, string> DesignRoutes = new()
    {
        // health
        { "get", "/health" }, { "get", "/alive" },
        // auth
        { "post", "/api/v1/auth/signup" }, { "post", "/api/v1/auth/login" }, { "post", "/api/v1/auth/refresh" },
        { "post", "/api/v1/auth/logout" }, { "get", "/api/v1/auth/wallet/challenge" }, { "post", "/api/v1/auth/wallet" },
        { "get", "/api/v1/users/me" }, { "get", "/.well-known/openid-configuration" }, { "get", "/.well-known/jwks.json" },
        // workers
        { "post", "/api/v1/workers" }, { "get", "/api/v1/workers" }, { "get", "/api/v1/workers/{id}" },
        { "put", "/api/v1/workers/{id}" }, { "delete", "/api/v1/workers/{id}" }, { "post", "/api/v1/workers/{id}/token" },
        { "post", "/api/v1/workers/{id}/drain" }, { "post", "/api/v1/workers/{id}/activate" },
        { "post", "/api/v1/workers/{id}/maintenance" }, { "get", "/api/v1/workers/{id}/vms" }, { "get", "/api/v1/workers/{id}/metrics" },
        // cluster
        { "get", "/api/v1/cluster/stats" }, { "get", "/api/v1/cluster/distribution" },
        // agent
        { "get", "/api/v1/agent/connect" }, { "post", "/api/v1/agent/register" }, { "post", "/api/v1/agent/heartbeat" },
        // vms
        { "post", "/api/v1/vms" }, { "get", "/api/v1/vms" }, { "get", "/api/v1/vms/{id}" }, { "delete", "/api/v1/vms/{id}" },
        { "post", "/api/v1/vms/{id}/action" }, { "get", "/api/v1/images" },
        // leases
        { "post", "/api/v1/leases" }, { "get", "/api/v1/leases" }, { "get", "/api/v1/leases/{id}" },
        { "post", "/api/v1/leases/{id}/extend" }, { "post", "/api/v1/leases/{id}/release" }, { "get", "/api/v1/pricing" },
        // system
        { "get", "/api/v1/system/stats" },
    };

    private async Task<(JsonObject Document, string Text)> DocumentAsync()
    {
        using var client = system.Gateway();
        using var response = await client.GetAsync("/openapi/v1.json");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"/openapi/v1.json answered {(int)response.StatusCode}: {text}");
        var document = JsonNode.Parse(text)!.AsObject();
        Assert.Null(document["x-missing-services"]);
        return (document, text);
    }

    [Fact]
    public async Task The_aggregated_document_is_valid_OpenAPI_3_to_an_independent_validator()
    {
        var (document, text) = await DocumentAsync();
        Assert.StartsWith("3.", document["openapi"]!.GetValue<string>());
        var directory = Directory.CreateTempSubdirectory("aetherium-openapi-");
        try
        {
            var path = Path.Combine(directory.FullName, "aggregated.json");
            await File.WriteAllTextAsync(path, text);
            var result = await OpenApiValidator.ValidateAsync(path);
            Assert.True(result.Valid, "the validator refused the document: " + result.Output);

            // The validator does look: the same document with one dangling reference is refused.
            var broken = document.DeepClone().AsObject();
            var operation = broken["paths"]!["/api/v1/users/me"]!["get"]!.AsObject();
            operation["responses"] = new JsonObject { ["200"] = new JsonObject { ["$ref"] = "#/components/responses/NoSuchResponse" } };
            var brokenPath = Path.Combine(directory.FullName, "broken.json");
            await File.WriteAllTextAsync(brokenPath, broken.ToJsonString());
            var refused = await OpenApiValidator.ValidateAsync(brokenPath);
            Assert.False(refused.Valid, "a dangling $ref must be refused: " + refused.Output);
        }
        finally { directory.Delete(recursive: true); }
    }

    [Theory]
    [MemberData(nameof(DesignRoutes))]
    public async Task Every_route_of_DESIGN_5_is_in_the_document(string method, string route)
    {
        var (document, _) = await DocumentAsync();
        var paths = document["paths"]!.AsObject()
            .ToDictionary(p => Normal(p.Key), p => p.Value!.AsObject().Select(o => o.Key).ToHashSet());
        Assert.True(paths.TryGetValue(Normal(route), out var methods), $"{route} is not in the document");
        Assert.Contains(method, methods);
    }

    [Fact]
    public async Task Routes_open_at_the_edge_need_no_token_in_the_document_and_the_rest_a_Bearer_token()
    {
        var (document, _) = await DocumentAsync();
        Assert.Equal("bearer", document["components"]!["securitySchemes"]!["Bearer"]!["scheme"]!.GetValue<string>());
        Assert.NotNull(document["security"]![0]!["Bearer"]);
        JsonNode? Security(string path, string method) => document["paths"]!.AsObject()
            .Single(p => Normal(p.Key) == Normal(path)).Value![method]!["security"];
        Assert.Empty(Security("/api/v1/auth/login", "post")!.AsArray());
        Assert.Empty(Security("/.well-known/jwks.json", "get")!.AsArray());
        Assert.Null(Security("/api/v1/workers", "get")); // the document's Bearer requirement applies
        Assert.Null(Security("/api/v1/leases", "post"));
    }

    /// <summary>Parameter names and a trailing slash aside, two templates are the same route.</summary>
    private static string Normal(string template) => Parameter().Replace(template, "{}").TrimEnd('/');

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Parameter();
}
