using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;

namespace Aetherium.Gateway.Live;

/// <summary>
/// Browsers' EventSource and WebSocket cannot set headers, so the live endpoints take the token as
/// <c>?access_token=</c>. That value must reach no log or trace: this wraps the server so that, as each request
/// arrives and before ASP.NET Core's hosting logs or traces its URL, the token is moved from the query
/// string into the Authorization header (unless one is already there). Request logs then show the URL
/// without it, and JWT validation reads the header as for every other request.
/// </summary>
public sealed class QueryTokenServer(IServer inner) : IServer
{
    public const string Parameter = "access_token";

    public IFeatureCollection Features => inner.Features;

    public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken) where TContext : notnull =>
        inner.StartAsync(new Application<TContext>(application), cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => inner.StopAsync(cancellationToken);

    public void Dispose() => inner.Dispose();

    /// <summary>Replaces the registered server (Kestrel) with itself around it.</summary>
    public static void Install(IServiceCollection services)
    {
        var server = services.LastOrDefault(d => d.ServiceType == typeof(IServer))
            ?? throw new InvalidOperationException("No IServer is registered to wrap.");
        services.Remove(server);
        services.AddSingleton<IServer>(sp => new QueryTokenServer((IServer)(server.ImplementationInstance
            ?? server.ImplementationFactory?.Invoke(sp)
            ?? ActivatorUtilities.CreateInstance(sp, server.ImplementationType!))));
    }

    public static bool IsLivePath(PathString path) =>
        path.StartsWithSegments(LiveEndpoints.EventsPath) || path.StartsWithSegments(LiveEndpoints.HubPath);

    /// <summary>Takes <c>access_token</c> out of a live request's query string and into its Authorization header.</summary>
    public static void MoveToken(IHttpRequestFeature request)
    {
        if (string.IsNullOrEmpty(request.QueryString) || !IsLivePath(request.Path)) return;
        var query = QueryHelpers.ParseQuery(request.QueryString);
        if (!query.Remove(Parameter, out var token)) return;
        if (token.Count == 1 && !string.IsNullOrEmpty(token[0]) && !request.Headers.ContainsKey("Authorization"))
            request.Headers.Authorization = "Bearer " + token[0];
        request.QueryString = QueryString.Create(query).ToUriComponent();
        var rawQuery = request.RawTarget.IndexOf('?');
        if (rawQuery >= 0) request.RawTarget = request.RawTarget[..rawQuery] + request.QueryString;
    }

    private sealed class Application<TContext>(IHttpApplication<TContext> inner) : IHttpApplication<TContext> where TContext : notnull
    {
        public TContext CreateContext(IFeatureCollection contextFeatures)
        {
            if (contextFeatures.Get<IHttpRequestFeature>() is { } request) MoveToken(request);
            return inner.CreateContext(contextFeatures);
        }

        public Task ProcessRequestAsync(TContext context) => inner.ProcessRequestAsync(context);

        public void DisposeContext(TContext context, Exception? exception) => inner.DisposeContext(context, exception);
    }
}
