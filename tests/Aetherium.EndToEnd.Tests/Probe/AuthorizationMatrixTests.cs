using Xunit;
using Xunit.Abstractions;

namespace Aetherium.EndToEnd.Tests.Probe;

/// <summary>
/// Issue 22's class "authorization is a matrix, tested as one": every operation of the gateway's aggregated
/// OpenAPI document × every principal, each answer checked against <see cref="Catalogue"/>'s table. A worker's
/// machine token works on the agent routes and nowhere else; a service token on no public route; another
/// tenant's id is a 404; anonymous callers get 401 wherever a token is needed.
/// </summary>
[Collection(ProbeFixture.Collection)]
public sealed class AuthorizationMatrixTests(ProbeFixture system, ITestOutputHelper output)
{
    [Fact]
    public async Task Every_operation_answers_every_principal_as_the_table_declares()
    {
        var gateway = system.Gateway();
        var operations = await Operation.ReadAsync(gateway);
        var keys = operations.Select(o => o.Key).ToHashSet();
        var undeclared = keys.Where(k => !Catalogue.Rules.ContainsKey(k)).Order().ToList();
        var stale = Catalogue.Rules.Keys.Where(k => !keys.Contains(k)).Order().ToList();
        Assert.True(undeclared.Count == 0 && stale.Count == 0,
            $"The table must list exactly the document's operations.\nIn the document, not in the table (declare who may call them): {string.Join(", ", undeclared)}\nIn the table, not in the document: {string.Join(", ", stale)}");

        var cast = await Cast.CreateAsync(system, "matrix");
        var wrong = new List<string>();
        var checkedPairs = 0;
        foreach (var operation in operations.OrderBy(o => o.Key.EndsWith("/goodbye", StringComparison.Ordinal)))
        {
            var rule = Catalogue.Rules[operation.Key];
            foreach (var who in cast.All)
            {
                var expected = Catalogue.Expected(rule, cast, who);
                var call = await rule.Make(cast);
                var path = operation.Path(call.Id, call.SubId) + (call.Query is null ? "" : "?" + call.Query);
                var answer = await Sender.SendAsync(gateway, operation.Key, operation.Method, path, who.Token,
                    call.Body is null ? null : Sender.Json(call.Body));
                checkedPairs++;
                if (!expected.Contains(answer.Status))
                    wrong.Add($"{operation.Key} as {who.Name}: expected {string.Join(" or ", expected)}, got {answer.Status} {answer.Body}");
                else if (answer.Status >= 400 && !answer.IsProblem)
                    wrong.Add($"{operation.Key} as {who.Name}: {answer.Status} is {answer.MediaType ?? "an empty body"}, not application/problem+json");
            }
        }
        output.WriteLine($"{operations.Count} operations × {cast.All.Count} principals = {checkedPairs} requests checked, {wrong.Count} wrong");
        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
    }
}
