using Aetherium.Identity.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Aetherium.Identity.Tests;

/// <summary>One identity (own database and virtual host) shared by the tests of a class.</summary>
public sealed class IdentityFixture : IAsyncLifetime
{
    public IdentityFactory Factory { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Factory = await IdentityFactory.StartAsync("identity");
        Client = Factory.CreateClient();
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();

    public async Task<T> DbAsync<T>(Func<IdentityDbContext, Task<T>> work)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<IdentityDbContext>());
    }
}
