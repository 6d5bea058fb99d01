using System.CommandLine;
using System.Text.Json.Nodes;
using Aetherium.Cli.Output;
using Aetherium.Cli.Vms;
using Aetherium.Cli.Workers;
using static Aetherium.Cli.Output.Fields;

namespace Aetherium.Cli.Leases;

/// <summary>leases rent|list|show|extend|release (DESIGN §5 "leases").</summary>
public static class LeaseCommands
{
    private static readonly Dictionary<string, string> RentFields = new(VmCommands.SpecFields)
    {
        ["duration_hours"] = "--hours", ["duration_seconds"] = "--seconds", ["count"] = "--count", ["ssh_public_key"] = "--ssh-key", ["name"] = "--name",
    };

    private static readonly Dictionary<string, string> ExtendFields = new()
    {
        ["additional_hours"] = "--hours", ["additional_seconds"] = "--seconds",
    };

    public static Command Build(Terminal terminal, GlobalOptions options)
    {
        var leases = new Command("leases", "Rent VMs for a duration, extend or release the lease");
        leases.Subcommands.Add(Rent(terminal, options));
        leases.Subcommands.Add(List(terminal, options));
        leases.Subcommands.Add(Show(terminal, options));
        leases.Subcommands.Add(Extend(terminal, options));
        leases.Subcommands.Add(Release(terminal, options));
        return leases;
    }

    private static (Option<decimal?> Hours, Option<decimal?> Seconds) Duration(string what)
    {
        var hours = Arguments.Value<decimal>("--hours", $"{what} in hours (fractions allowed)");
        var seconds = Arguments.Value<decimal>("--seconds", $"{what} in seconds");
        return (hours, seconds);
    }

    private static Command Rent(Terminal terminal, GlobalOptions options)
    {
        var count = Arguments.Value<int>("--count", "How many VMs (default 1)");
        var (hours, seconds) = Duration("How long");
        var sshKey = new Option<string>("--ssh-key") { Description = "SSH public key for the VMs: the key itself or a file holding it (e.g. ~/.ssh/id_ed25519.pub); without one a password is generated" };
        var name = new Option<string>("--name") { Description = "The lease's name (its VMs are named after it)" };
        var spec = new VmCommands.SpecOptions();
        var command = new Command("rent", "Rent VMs for a duration: aetherium leases rent --count 2 --cpu 1 --memory 512 --hours 2")
        {
            count, hours, seconds, sshKey, name,
        };
        spec.AddTo(command);
        return command.Runs(terminal, options, async (i, ct) =>
        {
            var body = new
            {
                duration_hours = i.Get(hours), duration_seconds = i.Get(seconds), count = i.Get(count), spec = spec.Body(i),
                ssh_public_key = SshKey(i.Get(sshKey)), name = i.Get(name),
            };
            var response = await i.Gateway().SendAsync(HttpMethod.Post, "api/v1/leases", body, ct, RentFields);
            i.Printer.Print(response, o =>
            {
                Details(o, response.Json);
                if (Items(response.Json, "access").Any(a => At(a, "password") is not null))
                    o.WriteLine("The password is shown only now; keep it.");
            });
        });
    }

    /// <summary>The key text, read from the file when the value names one (a key itself never names a file).</summary>
    private static string? SshKey(string? value)
    {
        if (value is null) return null;
        var path = value.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), value[2..])
            : value;
        if (!File.Exists(path)) return value;
        try { return File.ReadAllText(path).Trim(); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot read the SSH key file {path}: {ex.Message}", ExitCodes.Usage);
        }
    }

    public static readonly Column[] Columns =
    [
        new("ID", l => Text(l, "id")),
        new("NAME", l => Text(l, "name")),
        new("STATUS", l => Text(l, "status")),
        new("PLACEMENT", l => Text(l, "placement")),
        new("VMS", l => Items(l, "vms").Count.ToString()),
        new("FROM", l => Time(l, "leased_from")),
        new("UNTIL", l => Time(l, "leased_until")),
        new("COST", l => Cost(l)),
    ];

    private static string Cost(JsonNode lease) => At(lease, "cost") is null ? Missing : $"{Text(lease, "cost.total")} {Text(lease, "cost.currency")}";

    private static Command List(Terminal terminal, GlobalOptions options)
    {
        var status = new Option<string>("--status") { Description = "Only leases in this status (active, released, expired)" };
        var page = Arguments.Value<int>("--page", "Page number (from 1)");
        var limit = Arguments.Value<int>("--limit", "Leases per page (at most 100)");
        var command = new Command("list", "List your leases, newest first (admins: all)") { status, page, limit };
        return command.Runs(terminal, options, async (i, ct) =>
        {
            var query = Arguments.Query(("status", i.Get(status)), ("page", i.Get(page)), ("limit", i.Get(limit)));
            var response = await i.Gateway().SendAsync(HttpMethod.Get, "api/v1/leases" + query, null, ct,
                new() { ["status"] = "--status", ["page"] = "--page", ["limit"] = "--limit" });
            i.Printer.Print(response, o =>
            {
                var rows = Items(response.Json, "leases");
                Printer.Table(o, rows, Columns);
                WorkerCommands.Footer(o, rows.Count, response.Json, "leases");
            });
        });
    }

    private static Command Show(Terminal terminal, GlobalOptions options)
    {
        var id = Arguments.Id("lease");
        var command = new Command("show", "Show one lease: its VMs, cost and how to reach them") { id };
        return command.Runs(terminal, options, async (i, ct) =>
        {
            var response = await i.Gateway().SendAsync(HttpMethod.Get, $"api/v1/leases/{i.Get(id)}", null, ct);
            i.Printer.Print(response, o => Details(o, response.Json));
        });
    }

    private static void Details(TextWriter o, JsonNode lease)
    {
        Printer.Record(o, lease,
            ("Lease", x => Text(x, "id")),
            ("Name", x => Text(x, "name")),
            ("Status", x => Text(x, "status")),
            ("Placement", x => Text(x, "placement")),
            ("From", x => Time(x, "leased_from")),
            ("Until", x => Time(x, "leased_until")),
            ("Cost", x => At(x, "cost") is null ? Missing : $"{Cost(x)} reserved ({Text(x, "cost.hourly")} {Text(x, "cost.currency")}/h, tier {Text(x, "cost.tier")})"),
            ("Charged", x => Charged(At(x, "cost"))));
        o.WriteLine();
        var access = Items(lease, "access").ToDictionary(a => Text(a, "vm_id"));
        Printer.Table(o, Items(lease, "vms"),
            new Column("VM", v => Text(v, "id")),
            new Column("NAME", v => Text(v, "name")),
            new Column("STATUS", v => Text(v, "status")),
            new Column("WORKER", v => Text(v, "worker_id")),
            new Column("ACCESS", v => access.TryGetValue(Text(v, "id"), out var a) ? Reach(a) : Missing));
    }

    /// <summary>"0.02 USD for 2 started minutes, 0.98 USD not charged"; "so far" while the lease is active (nothing is "not charged" yet).</summary>
    private static string Charged(JsonNode? cost)
    {
        if (At(cost, "charged") is null) return Missing;
        var currency = Text(cost, "currency");
        var charged = $"{Text(cost, "charged")} {currency} for {Text(cost, "billed_minutes")} started minute(s)";
        return At(cost, "not_charged") is null ? charged + " so far" : $"{charged}, {Text(cost, "not_charged")} {currency} not charged";
    }

    /// <summary>user@host:port (auth kind), the password when the rent answer carries it.</summary>
    private static string Reach(JsonNode access)
    {
        var where = At(access, "host") is null ? "(not reachable yet)" : $"{Text(access, "username")}@{Text(access, "host")}:{Text(access, "port")}";
        var how = At(access, "password") is null ? Text(access, "auth") : $"password {Text(access, "password")}";
        return $"{where} {how}";
    }

    private static Command Extend(Terminal terminal, GlobalOptions options)
    {
        var id = Arguments.Id("lease");
        var (hours, seconds) = Duration("Added time");
        var command = new Command("extend", "Push the end of an active lease back") { id, hours, seconds };
        return command.Runs(terminal, options, async (i, ct) =>
        {
            var response = await i.Gateway().SendAsync(HttpMethod.Post, $"api/v1/leases/{i.Get(id)}/extend",
                new { additional_hours = i.Get(hours), additional_seconds = i.Get(seconds) }, ct, ExtendFields);
            i.Printer.Print(response, o => o.WriteLine(
                $"Lease {Text(response.Json, "lease_id")} now ends at {Time(response.Json, "new_end_at")} (added {Text(response.Json, "added_cost")} {Text(response.Json, "currency")}, total {Text(response.Json, "total_cost")})."));
        });
    }

    private static Command Release(Terminal terminal, GlobalOptions options)
    {
        var id = Arguments.Id("lease");
        var command = new Command("release", "End a lease now; its VMs are deleted") { id };
        return command.Runs(terminal, options, async (i, ct) =>
        {
            var response = await i.Gateway().SendAsync(HttpMethod.Post, $"api/v1/leases/{i.Get(id)}/release", null, ct);
            i.Printer.Print(response, o => o.WriteLine(
                $"Lease {Text(response.Json, "lease_id")}: {Text(response.Json, "status")} at {Time(response.Json, "ended_at")}; its VMs are being deleted. Charged: {Charged(At(response.Json, "cost"))}."));
        });
    }
}
