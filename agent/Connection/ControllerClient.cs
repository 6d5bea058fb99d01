using System.Net;

namespace Aetherium.Agent.Connection;

/// <summary>
/// The controller's addresses and one HTTP stack for every agent of a process: a fleet of 1,000
/// agents shares one handler (its WebSockets and its HTTP fallback), not 1,000.
/// </summary>
public sealed class ControllerClient : IDisposable
{
    public ControllerClient(Uri controller)
    {
        var http = new UriBuilder(controller)
        {
            Scheme = controller.Scheme switch { "ws" => "http", "wss" => "https", _ => controller.Scheme },
        };
        if (!http.Path.EndsWith('/')) http.Path += "/";
        BaseAddress = http.Uri;
        var ws = new UriBuilder(new Uri(BaseAddress, "api/v1/agent/connect")) { Scheme = BaseAddress.Scheme == "https" ? "wss" : "ws" };
        ConnectUri = ws.Uri;
        Handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
        };
        Invoker = new HttpMessageInvoker(Handler, disposeHandler: false);
        Http = new HttpClient(Handler, disposeHandler: false) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>The controller (gateway) base, e.g. http://localhost:8080/.</summary>
    public Uri BaseAddress { get; }

    /// <summary>ws(s)://…/api/v1/agent/connect</summary>
    public Uri ConnectUri { get; }

    public SocketsHttpHandler Handler { get; }

    /// <summary>For ClientWebSocket.ConnectAsync(uri, invoker, ct): WebSockets over the shared handler.</summary>
    public HttpMessageInvoker Invoker { get; }

    /// <summary>For the HTTP fallback; credentials go on each request, never on the shared client.</summary>
    public HttpClient Http { get; }

    public void Dispose()
    {
        Http.Dispose();
        Invoker.Dispose();
        Handler.Dispose();
    }
}
