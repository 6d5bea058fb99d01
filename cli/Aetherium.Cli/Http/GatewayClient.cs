using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using Aetherium.Cli.Auth;

namespace Aetherium.Cli.Http;

/// <summary>
/// The gateway's public API as the signed-in user: sends the access token, refreshes it when it has expired
/// (or the gateway says it has), and turns every failure into a one-line <see cref="CliException"/>.
/// </summary>
public sealed class GatewayClient : IDisposable
{
    public const string DefaultGateway = "http://localhost:8080";
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(100);

    private readonly HttpClient _http;
    private readonly CredentialStore _store;
    private Credentials? _credentials;

    public Uri BaseUrl { get; }

    public GatewayClient(Uri baseUrl, CredentialStore store)
    {
        BaseUrl = baseUrl;
        _store = store;
        // No client-wide timeout: the live stream stays open; requests get theirs from RequestTimeout.
        _http = new HttpClient { BaseAddress = baseUrl, Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("aetherium-cli", typeof(GatewayClient).Assembly.GetName().Version?.ToString(3)));
    }

    /// <summary>
    /// --gateway, else AETHERIUM_GATEWAY, else (unless signing in anew) the gateway of the stored session,
    /// else http://localhost:8080.
    /// </summary>
    public static Uri Resolve(string? option, Terminal terminal, CredentialStore store, bool useStored = true)
    {
        var text = option is { Length: > 0 } ? option
            : terminal.Environment("AETHERIUM_GATEWAY") is { Length: > 0 } env ? env
            : (useStored ? store.Load()?.Gateway : null) ?? DefaultGateway;
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || url.Host.Length == 0)
            throw new CliException($"the gateway '{text}' is not an http:// or https:// URL", ExitCodes.Usage);
        return new Uri(url.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/");
    }

    public static string Name(Uri url) => url.ToString().TrimEnd('/');

    /// <summary>A request without credentials (login, refresh, logout).</summary>
    public Task<ApiResponse> SendAnonymousAsync(HttpMethod method, string path, object? body, CancellationToken ct,
        Dictionary<string, string>? fieldOptions = null) =>
        SendAsync(() => Request(method, path, body, token: null), ct, fieldOptions);

    /// <summary>A request as the signed-in user; refreshes the session once when the gateway answers 401.</summary>
    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, object? body, CancellationToken ct,
        Dictionary<string, string>? fieldOptions = null)
    {
        var credentials = await CurrentCredentialsAsync(ct);
        using var first = await SendRawAsync(() => Request(method, path, body, credentials.AccessToken), ct, HttpCompletionOption.ResponseContentRead);
        if (first.StatusCode != HttpStatusCode.Unauthorized) return await ReadAsync(first, ct, fieldOptions);
        credentials = await RefreshAsync(credentials, ct);
        return await SendAsync(() => Request(method, path, body, credentials.AccessToken), ct, fieldOptions);
    }

    /// <summary>
    /// Opens a streamed GET as the signed-in user (the live stream); the caller reads the body as it comes.
    /// Non-success answers throw as every other request does.
    /// </summary>
    public async Task<HttpResponseMessage> OpenStreamAsync(string path, string accept, CancellationToken ct)
    {
        var credentials = await CurrentCredentialsAsync(ct);
        HttpRequestMessage Make(string token)
        {
            var request = Request(HttpMethod.Get, path, null, token);
            request.Headers.Accept.Clear();
            request.Headers.Accept.ParseAdd(accept);
            return request;
        }
        var response = await SendRawAsync(() => Make(credentials.AccessToken), ct, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            response.Dispose();
            credentials = await RefreshAsync(credentials, ct);
            response = await SendRawAsync(() => Make(credentials.AccessToken), ct, HttpCompletionOption.ResponseHeadersRead);
        }
        if (response.IsSuccessStatusCode) return response;
        using (response) throw await ProblemAsync(response, ct, null);
    }

    /// <summary>The stored session for this gateway, refreshed first when its access token has expired.</summary>
    public async Task<Credentials> CurrentCredentialsAsync(CancellationToken ct)
    {
        var credentials = _credentials ?? _store.Load()
            ?? throw new CliException($"not logged in; run 'aetherium login' (gateway {Name(BaseUrl)})", ExitCodes.NotLoggedIn);
        if (Name(new Uri(credentials.Gateway)) != Name(BaseUrl))
            throw new CliException($"not logged in to {Name(BaseUrl)} (the stored session is for {credentials.Gateway}); run 'aetherium login --gateway {Name(BaseUrl)}'",
                ExitCodes.NotLoggedIn);
        _credentials = credentials.AccessTokenExpired(DateTimeOffset.UtcNow) ? await RefreshAsync(credentials, ct) : credentials;
        return _credentials;
    }

    /// <summary>
    /// Swaps the refresh token for a new pair, under the credentials lock; when another command already did
    /// (the file holds a newer access token than <paramref name="stale"/>), its pair is taken instead.
    /// </summary>
    private async Task<Credentials> RefreshAsync(Credentials stale, CancellationToken ct)
    {
        _credentials = await _store.WithLockAsync(async () =>
        {
            var stored = _store.Load();
            if (stored is not null && stored.AccessToken != stale.AccessToken && !stored.AccessTokenExpired(DateTimeOffset.UtcNow))
                return stored;
            var current = stored ?? stale;
            ApiResponse refreshed;
            try
            {
                refreshed = await SendAnonymousAsync(HttpMethod.Post, "api/v1/auth/refresh", new { refresh_token = current.RefreshToken }, ct);
            }
            catch (ApiException ex) when (ex.Status is 400 or 401)
            {
                throw new CliException($"the session has ended ({ex.Message}); run 'aetherium login'", ExitCodes.NotLoggedIn);
            }
            var next = FromLogin(current.Gateway, current.Username, refreshed);
            _store.Save(next);
            return next;
        }, ct);
        return _credentials;
    }

    /// <summary>Credentials from a login or refresh answer ({"access_token","refresh_token","expires_in"}).</summary>
    public static Credentials FromLogin(string gateway, string username, ApiResponse response)
    {
        var json = response.Json;
        var access = json["access_token"]?.GetValue<string>();
        var refresh = json["refresh_token"]?.GetValue<string>();
        if (access is null || refresh is null) throw new CliException("the gateway's sign-in answer has no tokens");
        var expiresIn = json["expires_in"]?.GetValue<long>() ?? 0;
        return new Credentials(gateway, username, access, refresh, DateTimeOffset.UtcNow.AddSeconds(expiresIn));
    }

    private HttpRequestMessage Request(HttpMethod method, string path, object? body, string? token)
    {
        var request = new HttpRequestMessage(method, path.TrimStart('/'));
        request.Headers.Accept.ParseAdd("application/json");
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = JsonContent.Create(body, body.GetType(), options: Json.Options);
        return request;
    }

    private async Task<ApiResponse> SendAsync(Func<HttpRequestMessage> request, CancellationToken ct, Dictionary<string, string>? fieldOptions)
    {
        using var response = await SendRawAsync(request, ct, HttpCompletionOption.ResponseContentRead);
        return await ReadAsync(response, ct, fieldOptions);
    }

    /// <summary>Sends, turning "cannot connect" and "no answer in time" into one line each.</summary>
    private async Task<HttpResponseMessage> SendRawAsync(Func<HttpRequestMessage> request, CancellationToken ct, HttpCompletionOption completion)
    {
        using var message = request();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // For a stream this bounds the wait for its headers; its body is read without a limit.
        timeout.CancelAfter(RequestTimeout);
        try
        {
            return await _http.SendAsync(message, completion, timeout.Token);
        }
        catch (HttpRequestException ex)
        {
            throw new CliException($"cannot reach the gateway at {Name(BaseUrl)}: {Reason(ex)}", ExitCodes.Unreachable);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new CliException($"the gateway at {Name(BaseUrl)} did not answer within {RequestTimeout.TotalSeconds:0} s", ExitCodes.Unreachable);
        }
    }

    private static async Task<ApiResponse> ReadAsync(HttpResponseMessage response, CancellationToken ct, Dictionary<string, string>? fieldOptions)
    {
        if (!response.IsSuccessStatusCode) throw await ProblemAsync(response, ct, fieldOptions);
        return new ApiResponse(response.StatusCode, await response.Content.ReadAsStringAsync(ct));
    }

    private static async Task<ApiException> ProblemAsync(HttpResponseMessage response, CancellationToken ct, Dictionary<string, string>? fieldOptions)
    {
        var body = await response.Content.ReadAsStringAsync(ct);
        var retryAfter = response.Headers.RetryAfter?.Delta;
        return new ApiException((int)response.StatusCode, ProblemText.Format(response.StatusCode, body, retryAfter, fieldOptions),
            response.StatusCode == HttpStatusCode.Unauthorized ? ExitCodes.NotLoggedIn : ExitCodes.Failed);
    }

    /// <summary>The innermost cause in words ("Connection refused"), without the exception's type or stack.</summary>
    private static string Reason(Exception ex)
    {
        var socket = ex as SocketException ?? ex.InnerException as SocketException;
        if (socket is not null) return socket.Message;
        while (ex.InnerException is not null) ex = ex.InnerException;
        return ex.Message;
    }

    public void Dispose() => _http.Dispose();
}
