using System.CommandLine;
using System.Text.Json.Nodes;
using Aetherium.Cli.Output;
using static Aetherium.Cli.Output.Fields;

namespace Aetherium.Cli.Usage;

/// <summary>usage [--from T] [--to T]: the organisation's leases, VM-hours and cost over a period (GET /api/v1/usage).</summary>
public static class UsageCommand
{
    public static Command Build(Terminal terminal, GlobalOptions options)
    {
        // Times go to the API as written: it checks them and names the bad one (mapped back to the option here).
        var from = new Option<string>("--from") { Description = "Start of the period, ISO 8601 (e.g. 2026-12-01 or 2026-12-01T08:00:00Z; default: the first of this month, UTC)" };
        var to = new Option<string>("--to") { Description = "End of the period, exclusive (default: now); at most 366 days after --from" };
        var organization = Arguments.Value<Guid>("--organization", "Admins: whose usage (default: every organisation)");
        var command = new Command("usage", "Your organisation's leases, VM-hours and cost over a period, per day") { from, to, organization };
        return command.Runs(terminal, options, async (i, ct) =>
        {
            var query = Arguments.Query(("from", i.Get(from)), ("to", i.Get(to)), ("organization_id", i.Get(organization)));
            var response = await i.Gateway().SendAsync(HttpMethod.Get, "api/v1/usage" + query, null, ct,
                new() { ["from"] = "--from", ["to"] = "--to", ["organization_id"] = "--organization" });
            i.Printer.Print(response, o => Print(o, response.Json));
        });
    }

    private static void Print(TextWriter o, JsonNode usage)
    {
        Printer.Record(o, usage,
            ("Period", x => $"{Time(x, "from")} to {Time(x, "to")}"),
            ("Leases", x => $"{Text(x, "leases.started")} started, {Text(x, "leases.ended")} ended, {Text(x, "leases.billed")} billed"),
            ("VM-hours", x => Text(x, "vm_hours")),
            ("Cost", x => $"{Text(x, "cost")} {Text(x, "currency")}"));
        var days = Items(usage, "days").Where(d => At(d, "vm_hours")?.GetValue<decimal>() > 0).ToList();
        if (days.Count == 0) return;
        o.WriteLine();
        Printer.Table(o, days,
            new Column("DAY", d => Text(d, "date")),
            new Column("VM-HOURS", d => Text(d, "vm_hours")),
            new Column("COST", d => $"{Text(d, "cost")} {Text(usage, "currency")}"));
    }
}
