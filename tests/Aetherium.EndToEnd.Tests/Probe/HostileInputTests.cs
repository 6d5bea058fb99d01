using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Xunit;
using Xunit.Abstractions;

namespace Aetherium.EndToEnd.Tests.Probe;

/// <summary>
/// Issue 22's class "never a 500 for bad input, always problem+json": the hostile-input corpus
/// (<see cref="HostileInputs"/>) sent to every operation of the aggregated OpenAPI document, as the platform
/// admin and as a tenant (and as the worker on the agent's routes, where only its token gets in).
/// </summary>
[Collection(ProbeFixture.Collection)]
public sealed class HostileInputTests(ProbeFixture system, ITestOutputHelper output)
{
    private const string RotateKeys = "POST /api/v1/auth/keys/rotate";

    [Fact]
    public async Task No_hostile_input_gets_a_5xx_and_every_4xx_is_problem_json()
    {
        var gateway = system.Gateway();
        using var patient = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromSeconds(30) })
        { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var operations = await Operation.ReadAsync(gateway);
        var cast = await Cast.CreateAsync(system, "hostile");
        var failures = new ConcurrentBag<string>();
        int sent = 0, serverErrors = 0, kestrel = 0;

        // Operations that use their resource up or sign everyone out of it come last, so the others meet live resources.
        var ordered = operations.OrderBy(o => o.Method == "DELETE" || o.Key.EndsWith("/release") || o.Key.EndsWith("/revoke") || o.Key.EndsWith("/goodbye"));
        await Parallel.ForEachAsync(ordered, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (operation, _) =>
        {
            var rule = Catalogue.Rules[operation.Key];
            // Rotating the signing key dozens of times a second is what an admin asked for, not bad input: tokens signed by a key
            // the services have not fetched yet would be refused for a while. The tenant still sends it every input.
            Principal[] callers = rule.Access == Access.Agent ? [cast.Worker, cast.UserA]
                : operation.Key == RotateKeys ? [cast.UserA]
                : [cast.Admin, cast.UserA];
            foreach (var who in callers)
            {
                var valid = await rule.Make(cast);
                foreach (var input in HostileInputs.For(operation, valid))
                {
                    var path = operation.Path(input.Id) + (string.IsNullOrEmpty(input.Query) ? "" : "?" + input.Query);
                    Answer answer;
                    try
                    {
                        using var content = input.Body is null ? null : new ByteArrayContent(input.Body);
                        if (content is not null) content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                        answer = await Sender.HttpAsync(input.Large ? patient : gateway, operation.Key, operation.Method, path, who.Token, content, input.Large);
                    }
                    catch (HttpRequestException ex)
                    {
                        answer = new Answer(0, null, ex.Message);
                    }
                    Interlocked.Increment(ref sent);
                    if (answer.Status >= 500) Interlocked.Increment(ref serverErrors);
                    if (input.RefusedByKestrel && answer.Status == 400 && answer.MediaType is null && answer.Body.Length == 0)
                    {
                        Interlocked.Increment(ref kestrel);
                        continue;
                    }
                    if (answer.Status is >= 500 or 0 || (answer.Status >= 400 && !answer.IsProblem))
                        failures.Add($"{operation.Key} as {who.Name}, {input.What}: {answer.Status} {answer.MediaType ?? "(no body type)"} {answer.Body}");
                }
            }
        });

        output.WriteLine($"{sent} hostile inputs sent to {operations.Count} operations; {serverErrors} answered 5xx; "
            + $"{kestrel} refused by Kestrel before the application (NUL in the path: 400, empty body); {failures.Count} failures");
        foreach (var failure in failures.Order().Take(300)) output.WriteLine(failure);
        Assert.True(failures.IsEmpty, $"{failures.Count} hostile inputs were answered with a 5xx or a 4xx that is not problem+json:\n" + string.Join('\n', failures.Order().Take(60)));
    }
}
