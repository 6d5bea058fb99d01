using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Aetherium.ServiceDefaults.Auth;

/// <summary>
/// Service-to-service calls carry a <c>service</c> token obtained from identity with the
/// client-credentials grant (<c>POST {identity}/connect/token</c>), using <c>ServiceClient:ClientId</c> /
/// <c>ServiceClient:ClientSecret</c> that the AppHost hands each service. The token is cached until
/// shortly before it expires.
/// </summary>
public sealed class ServiceTokenProvider(IHttpClientFactory factory, IConfiguration config)
{
    public const string HttpClientName = "aetherium-service-token";
    private readonly SemaphoreSlim _lock = new(1, 1);
    private string? _token;
    private DateTimeOffset _expires;

    public async Task<string> GetTokenAsync(CancellationToken ct)
    {
        if (_token is not null && DateTimeOffset.UtcNow < _expires) return _token;
        await _lock.WaitAsync(ct);
        try
        {
            if (_token is not null && DateTimeOffset.UtcNow < _expires) return _token;
            var identity = AuthenticationSetup.IdentityUrl(config)
                ?? throw new InvalidOperationException("No identity URL configured (services:identity:http:0).");
            var form = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["client_id"] = config["ServiceClient:ClientId"] ?? throw new InvalidOperationException("ServiceClient:ClientId is not configured."),
                ["client_secret"] = config["ServiceClient:ClientSecret"] ?? throw new InvalidOperationException("ServiceClient:ClientSecret is not configured."),
            });
            using var response = await factory.CreateClient(HttpClientName).PostAsync(identity.TrimEnd('/') + "/connect/token", form, ct);
            response.EnsureSuccessStatusCode();
            var body = await response.Content.ReadFromJsonAsync<TokenResponse>(ct)
                ?? throw new InvalidOperationException("Empty token response from identity.");
            _token = body.AccessToken;
            _expires = DateTimeOffset.UtcNow.AddSeconds(Math.Max(30, body.ExpiresIn - 60));
            return _token;
        }
        finally { _lock.Release(); }
    }

    private sealed record TokenResponse(
        [property: JsonPropertyName("access_token")] string AccessToken,
        [property: JsonPropertyName("expires_in")] int ExpiresIn);
}

public sealed class ServiceTokenHandler(ServiceTokenProvider tokens) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await tokens.GetTokenAsync(ct));
        return await base.SendAsync(request, ct);
    }
}

public static class ServiceTokenExtensions
{
    /// <summary>Adds a service token to every request of this client: <c>services.AddHttpClient&lt;X&gt;(..).AddServiceToken()</c>.</summary>
    public static IHttpClientBuilder AddServiceToken(this IHttpClientBuilder builder)
    {
        builder.Services.AddHttpClient(ServiceTokenProvider.HttpClientName);
        builder.Services.AddSingleton<ServiceTokenProvider>();
        builder.Services.AddTransient<ServiceTokenHandler>();
        return builder.AddHttpMessageHandler<ServiceTokenHandler>();
    }
}
