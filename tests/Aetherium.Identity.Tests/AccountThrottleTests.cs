using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Aetherium.Testing;
using Xunit;

namespace Aetherium.Identity.Tests;

/// <summary>What a password guesser sees: one attempt and its answer.</summary>
public sealed record Attempt(HttpStatusCode Status, int? RetryAfter, string? Title, string? Detail);

/// <summary>Sign-in attempts from a client address of choice, on a Kestrel-hosted identity.</summary>
public static class SignIn
{
    public const string Password = "correct horse battery";

    public static async Task<IdentityFactory> StartReplicaAsync(ServiceSettings settings)
    {
        var identity = new IdentityFactory(settings);
        identity.UseKestrel(0);
        identity.StartServer();
        await identity.WaitHealthyAsync();
        return identity;
    }

    public static async Task<Attempt> AttemptAsync(IdentityFactory identity, string source, string username, string password, string? token = null)
    {
        using var client = ClientAddress.From(identity.ListeningUrl, source);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/login") { Content = JsonContent.Create(new { username, password }) };
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = text.Length > 0 ? System.Text.Json.JsonDocument.Parse(text).RootElement : default;
        string? Text(string name) => json.ValueKind == System.Text.Json.JsonValueKind.Object && json.TryGetProperty(name, out var p) ? p.GetString() : null;
        return new Attempt(response.StatusCode, (int?)response.Headers.RetryAfter?.Delta?.TotalSeconds, Text("title"), Text("detail"));
    }
}

/// <summary>
/// Two identity replicas on one database, as the AppHost runs them with <c>replicas</c> &gt; 1; the lock
/// (a minute) outlasts every test, so each answer is exact.
/// </summary>
public sealed class AccountThrottleTests : IAsyncLifetime
{
    private IdentityFactory _first = null!, _second = null!;

    public async Task InitializeAsync()
    {
        var settings = await IdentityFactory.SettingsAsync("throttle", new Dictionary<string, string?>
        {
            ["RateLimits:Account:FreeFailures"] = "5",
            ["RateLimits:Account:FirstLock"] = "00:01:00",
        });
        _first = await SignIn.StartReplicaAsync(settings);
        _second = await SignIn.StartReplicaAsync(settings);
    }

    public async Task DisposeAsync()
    {
        await _second.DisposeAsync();
        await _first.DisposeAsync();
    }

    private IdentityFactory Replica(int i) => i % 2 == 0 ? _first : _second;

    /// <summary>Sixty guesses for one name from sixty addresses, alternating replicas, each carrying a valid token.</summary>
    private async Task<List<Attempt>> GuessSixtyTimesAsync(string username, string token)
    {
        var answers = new List<Attempt>();
        for (var i = 0; i < 60; i++)
            answers.Add(await SignIn.AttemptAsync(Replica(i), $"127.0.0.{i + 2}", username, $"guess number {i}", token));
        return answers;
    }

    [Fact]
    public async Task Sixty_wrong_passwords_from_sixty_addresses_lock_the_account_on_every_replica_the_same_for_unknown_names()
    {
        using var client = ClientAddress.From(_first.ListeningUrl, "127.0.0.1");
        var victim = Api.Unique("victim");
        await client.SignupAsync(victim);
        var carrier = Api.Unique("carrier");
        await client.SignupAsync(carrier);
        var token = (await client.LoginAsync(carrier)).AccessToken;

        var answers = await GuessSixtyTimesAsync(victim, token);

        Assert.All(answers.Take(5), a => Assert.Equal(HttpStatusCode.Unauthorized, a.Status));
        Assert.All(answers.Skip(5), a =>
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, a.Status);
            Assert.Equal("Too many requests", a.Title);
            Assert.InRange(a.RetryAfter ?? 0, 1, 60);
        });
        // The right password is refused too while the lock lasts, from a new address, on either replica, with or without a token.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SignIn.AttemptAsync(_first, "127.0.1.1", victim, SignIn.Password)).Status);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SignIn.AttemptAsync(_second, "127.0.1.2", victim, SignIn.Password, token)).Status);
        // Another account is not affected.
        Assert.Equal(HttpStatusCode.OK, (await SignIn.AttemptAsync(_second, "127.0.0.2", carrier, SignIn.Password)).Status);

        // A name nobody has gets the same answers, so they do not tell which accounts exist.
        var unknown = await GuessSixtyTimesAsync(Api.Unique("nobody"), token);
        Assert.Equal(answers.Select(a => (a.Status, a.Title, a.Detail?.Split(';')[0])), unknown.Select(a => (a.Status, a.Title, a.Detail?.Split(';')[0])));
    }

    [Fact]
    public async Task A_success_clears_the_count()
    {
        using var client = ClientAddress.From(_first.ListeningUrl, "127.0.0.1");
        var name = Api.Unique("typo");
        await client.SignupAsync(name);

        for (var i = 0; i < 4; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await SignIn.AttemptAsync(Replica(i), "127.0.2.1", name, "a typo")).Status);
        Assert.Equal(HttpStatusCode.OK, (await SignIn.AttemptAsync(_second, "127.0.2.1", name, SignIn.Password)).Status);
        // Five free failures again after the success; the sixth attempt waits.
        for (var i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await SignIn.AttemptAsync(Replica(i), "127.0.2.1", name, "another typo")).Status);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SignIn.AttemptAsync(_first, "127.0.2.1", name, SignIn.Password)).Status);
    }

    [Fact]
    public async Task Sign_ins_of_one_account_at_the_same_time_on_both_replicas_are_each_answered_never_a_500()
    {
        // A user's portal and CLI signing in at once: a success clears the count while another attempt is being counted.
        using var client = ClientAddress.From(_first.ListeningUrl, "127.0.0.1");
        var name = Api.Unique("together");
        await client.SignupAsync(name);

        for (var round = 0; round < 10; round++)
        {
            var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => SignIn.AttemptAsync(Replica(i), $"127.0.3.{i + 1}", name, SignIn.Password)));
            Assert.All(answers, a => Assert.Contains(a.Status, new[] { HttpStatusCode.OK, HttpStatusCode.TooManyRequests }));
        }
    }
}

/// <summary>A lock of two seconds doubling to four at most: what happens when it ends.</summary>
public sealed class AccountLockExpiryTests : IAsyncLifetime
{
    private IdentityFactory _identity = null!;

    public async Task InitializeAsync() => _identity = await SignIn.StartReplicaAsync(await IdentityFactory.SettingsAsync("lockexpiry", new Dictionary<string, string?>
    {
        ["RateLimits:Account:FreeFailures"] = "3",
        ["RateLimits:Account:FirstLock"] = "00:00:02",
        ["RateLimits:Account:MaxLock"] = "00:00:04",
    }));

    public async Task DisposeAsync() => await _identity.DisposeAsync();

    [Fact]
    public async Task The_right_password_waits_out_the_lock_then_signs_in_and_a_failure_after_the_lock_doubles_it()
    {
        using var client = ClientAddress.From(_identity.ListeningUrl, "127.0.0.1");
        var name = Api.Unique("patient");
        await client.SignupAsync(name);
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await SignIn.AttemptAsync(_identity, "127.0.3.1", name, "wrong")).Status);

        var locked = await SignIn.AttemptAsync(_identity, "127.0.3.2", name, SignIn.Password);
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.Status);
        Assert.InRange(locked.RetryAfter ?? 0, 1, 2);
        // Attempts during the lock are not counted: polling does not push its end back.
        await Eventually.TrueAsync(async () => (await SignIn.AttemptAsync(_identity, "127.0.3.2", name, SignIn.Password)).Status == HttpStatusCode.OK,
            TimeSpan.FromSeconds(30), "the right password signs in once the lock has ended");

        // The success started the count afresh: three more failures, and the lock again; one failure after it ends doubles it (capped at 4 s).
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await SignIn.AttemptAsync(_identity, "127.0.3.3", name, "wrong")).Status);
        var failedAfterLock = await Eventually.GetAsync(() => SignIn.AttemptAsync(_identity, "127.0.3.3", name, "wrong"),
            a => a.Status == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(30), "a guess is checked again once the lock has ended");
        Assert.Equal(HttpStatusCode.Unauthorized, failedAfterLock.Status);
        var doubled = await SignIn.AttemptAsync(_identity, "127.0.3.3", name, SignIn.Password);
        Assert.Equal(HttpStatusCode.TooManyRequests, doubled.Status);
        Assert.InRange(doubled.RetryAfter ?? 0, 3, 4);
    }
}
