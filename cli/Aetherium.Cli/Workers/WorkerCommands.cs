using System.CommandLine;
using System.Text.Json.Nodes;
using Aetherium.Cli.Output;
using static Aetherium.Cli.Output.Fields;

namespace Aetherium.Cli.Workers;

/// <summary>workers list|show|create|update|delete|token|tokens|drain|activate|maintenance|metrics (DESIGN §5 "workers").</summary>
public static class WorkerCommands
{
    private static readonly Dictionary<string, string> CreateFields = new()
    {
        ["name"] = "name", ["zone"] = "--zone", ["labels"] = "--label", ["max_vms"] = "--max-vms",
    };

    private static readonly Dictionary<string, string> UpdateFields = new()
    {
        ["name"] = "--name", ["zone"] = "--zone", ["labels"] = "--label", ["max_vms"] = "--max-vms",
    };

    public static Command Build(Terminal terminal, GlobalOptions options)
    {
        var workers = new Command("workers", "Machines enrolled as workers: list, create, update, delete, enrol (token), tokens, drain, activate, maintenance, metrics");
        workers.Subcommands.Add(List(terminal, options));
        workers.Subcommands.Add(Show(terminal, options));
        workers.Subcommands.Add(Create(terminal, options));
        workers.Subcommands.Add(Update(terminal, options));
        workers.Subcommands.Add(StatusChange(terminal, options, "delete", "Delete a worker: its VMs move elsewhere and its agent's tokens stop working",
            HttpMethod.Delete, ""));
        workers.Subcommands.Add(TokenCommands.Mint(terminal, options));
        workers.Subcommands.Add(TokenCommands.List(terminal, options));
        workers.Subcommands.Add(Drain(terminal, options));
        workers.Subcommands.Add(StatusChange(terminal, options, "activate", "Bring a draining or maintenance worker back into service",
            HttpMethod.Post, "/activate"));
        workers.Subcommands.Add(StatusChange(terminal, options, "maintenance", "Take a worker out of service for maintenance (no new VMs; 'activate' brings it back)",
            HttpMethod.Post, "/maintenance"));
        workers.Subcommands.Add(Metrics(terminal, options));
        return workers;
    }

    public static readonly Column[] Columns =
    [
        new("ID", w => Text(w, "id")),
        new("NAME", w => Text(w, "name")),
        new("ZONE", w => Text(w, "zone")),
        new("STATUS", w => Text(w, "status")),
        new("HEALTHY", w => Text(w, "is_healthy")),
        new("CPU", w => Of(w, "used_cpu_cores", "cpu_cores")),
        new("MEMORY_MB", w => Of(w, "used_memory_mb", "memory_mb")),
        new("VMS", w => Of(w, "vm_count", "max_vms")),
        new("LAST_SEEN", w => Time(w, "last_seen")),
    ];

    private static Command List(Terminal terminal, GlobalOptions options)
    {
        var zone = new Option<string>("--zone") { Description = "Only workers of this zone" };
        var status = new Option<string>("--status") { Description = "Only workers in this status (pending, installing, active, offline, draining, maintenance)" };
        var label = Arguments.Labels("Only workers with this label");
        var page = Arguments.Value<int>("--page", "Page number (from 1)");
        var limit = Arguments.Value<int>("--limit", "Workers per page (at most 500)");
        var command = new Command("list", "List the workers you can see (admins: all)") { zone, status, label, page, limit };
        return command.Runs(terminal, options, async (i, ct) =>
        {
            var query = Arguments.Query([("zone", i.Get(zone)), ("status", i.Get(status)), .. (i.Get(label) ?? []).Select(l => ("label", (object?)l)),
                ("page", i.Get(page)), ("limit", i.Get(limit))]);
            var response = await i.Gateway().SendAsync(HttpMethod.Get, "api/v1/workers" + query, null, ct,
                new() { ["zone"] = "--zone", ["status"] = "--status", ["label"] = "--label", ["page"] = "--page", ["limit"] = "--limit" });
            i.Printer.Print(response, o =>
            {
                var rows = Items(response.Json, "workers");
                Printer.Table(o, rows, Columns);
                Footer(o, rows.Count, response.Json, "workers");
            });
        });
    }

    private static Command Show(Terminal terminal, GlobalOptions options)
    {
        var id = Arguments.Id("worker");
        var command = new Command("show", "Show one worker: status, capacity, usage, agent") { id };
        return command.Runs(terminal, options, async (i, ct) =>
        {
            var response = await i.Gateway().SendAsync(HttpMethod.Get, $"api/v1/workers/{i.Get(id)}", null, ct);
            i.Printer.Print(response, o => Details(o, response.Json));
        });
    }

    public static void Details(TextWriter o, JsonNode w) => Printer.Record(o, w,
        ("ID", x => Text(x, "id")),
        ("Name", x => Text(x, "name")),
        ("Status", x => Text(x, "status") + (At(x, "status_reason") is null ? "" : $" ({Text(x, "status_reason")})")),
        ("Healthy", x => Text(x, "is_healthy")),
        ("Zone", x => Text(x, "zone")),
        ("Labels", x => Text(x, "labels")),
        ("Hostname", x => Text(x, "hostname")),
        ("Address", x => Text(x, "address")),
        ("OS", x => Text(x, "os")),
        ("CPU cores", x => $"{Text(x, "used_cpu_cores")} used of {Text(x, "cpu_cores")} ({Text(x, "cpu_usage_percent")} % busy)"),
        ("Memory MB", x => $"{Text(x, "used_memory_mb")} used of {Text(x, "memory_mb")} ({Text(x, "memory_usage_percent")} % in use)"),
        ("Disk GB", x => $"{Text(x, "used_disk_gb")} used of {Text(x, "disk_gb")}"),
        ("GPUs", x => Items(x, "gpus").Count.ToString()),
        ("VMs", x => Of(x, "vm_count", "max_vms")),
        ("Runtimes", x => Text(x, "runtimes")),
        ("Agent", x => Text(x, "agent_version")),
        ("Connected", x => Text(x, "websocket_connected")),
        ("Last seen", x => Time(x, "last_seen")),
        ("Uptime", x => Text(x, "uptime")),
        ("Drain deadline", x => Time(x, "drain_deadline")),
        ("Created", x => Time(x, "created_at")));

    private static Command Create(Terminal terminal, GlobalOptions options)
    {
        var name = new Argument<string>("name") { Description = "The worker's name" };
        var zone = new Option<string>("--zone") { Description = "Its zone (e.g. eu-west-1)" };
        var label = Arguments.Labels("A label");
        var maxVms = Arguments.Value<int>("--max-vms", "Most VMs it may run");
        var command = new Command("create", "Create a worker (pending until its agent connects); then 'aetherium workers token <id>'")
        {
            name, zone, label, maxVms,
        };
        return command.Runs(terminal, options, async (i, ct) =>
        {
            var body = new { name = i.Get(name), zone = i.Get(zone), labels = Arguments.LabelMap(i.Get(label)), max_vms = i.Get(maxVms) };
            var response = await i.Gateway().SendAsync(HttpMethod.Post, "api/v1/workers", body, ct, CreateFields);
            i.Printer.Print(response, o =>
            {
                o.WriteLine($"Worker {Text(response.Json, "id")} created ({Text(response.Json, "status")}).");
                o.WriteLine($"Next: aetherium workers token {Text(response.Json, "id")}   (prints the install script for the machine)");
            });
        });
    }

    private static Command Update(Terminal terminal, GlobalOptions options)
    {
        var id = Arguments.Id("worker");
        var name = new Option<string>("--name") { Description = "A new name" };
        var zone = new Option<string>("--zone") { Description = "A new zone" };
        var label = Arguments.Labels("Its labels, replacing the old ones");
        var maxVms = Arguments.Value<int>("--max-vms", "Most VMs it may run");
        var command = new Command("update", "Change a worker's name, zone, labels or VM limit (what is not given stays)") { id, name, zone, label, maxVms };
        return command.Runs(terminal, options, async (i, ct) =>
        {
            var body = new { name = i.Get(name), zone = i.Get(zone), labels = Arguments.LabelMap(i.Get(label)), max_vms = i.Get(maxVms) };
            var response = await i.Gateway().SendAsync(HttpMethod.Put, $"api/v1/workers/{i.Get(id)}", body, ct, UpdateFields);
            i.Printer.Print(response, o => Details(o, response.Json));
        });
    }

    private static Command Drain(Terminal terminal, GlobalOptions options)
    {
        var id = Arguments.Id("worker");
        var deadline = Arguments.Value<int>("--deadline-seconds", "Seconds the VMs have to move off (default 3600)");
        var parallel = Arguments.Value<int>("--max-parallel", "VMs moved at a time (default 1)");
        var command = new Command("drain", "Stop placing VMs on a worker and move its VMs off") { id, deadline, parallel };
        return command.Runs(terminal, options, async (i, ct) =>
        {
            var response = await i.Gateway().SendAsync(HttpMethod.Post, $"api/v1/workers/{i.Get(id)}/drain",
                new { deadline_seconds = i.Get(deadline), max_parallel = i.Get(parallel) }, ct,
                new() { ["deadline_seconds"] = "--deadline-seconds", ["max_parallel"] = "--max-parallel" });
            i.Printer.Print(response, o => StatusLine(o, response.Json));
        });
    }

    /// <summary>A command on one worker whose answer is its new status, printed as one line.</summary>
    private static Command StatusChange(Terminal terminal, GlobalOptions options, string name, string description, HttpMethod method, string path)
    {
        var id = Arguments.Id("worker");
        var command = new Command(name, description) { id };
        return command.Runs(terminal, options, async (i, ct) =>
        {
            var response = await i.Gateway().SendAsync(method, $"api/v1/workers/{i.Get(id)}{path}", null, ct);
            i.Printer.Print(response, o => StatusLine(o, response.Json));
        });
    }

    private static readonly Column[] MetricColumns =
    [
        new("TIME", m => Time(m, "timestamp")),
        new("CPU_%", m => Text(m, "cpu_usage_percent")),
        new("MEMORY_%", m => Text(m, "memory_usage_percent")),
        new("DISK_%", m => Text(m, "disk_usage_percent")),
    ];

    private static Command Metrics(Terminal terminal, GlobalOptions options)
    {
        var id = Arguments.Id("worker");
        var from = new Option<string>("--from") { Description = "From this time (ISO 8601; default: an hour before --to)" };
        var to = new Option<string>("--to") { Description = "Until this time (ISO 8601; default: now)" };
        var limit = Arguments.Value<int>("--limit", "Most samples (the server caps it)");
        var command = new Command("metrics", "A worker's usage samples over time, oldest first") { id, from, to, limit };
        return command.Runs(terminal, options, async (i, ct) =>
        {
            var query = Arguments.Query([("from", i.Get(from)), ("to", i.Get(to)), ("limit", i.Get(limit))]);
            var response = await i.Gateway().SendAsync(HttpMethod.Get, $"api/v1/workers/{i.Get(id)}/metrics" + query, null, ct,
                new() { ["from"] = "--from", ["to"] = "--to", ["limit"] = "--limit" });
            i.Printer.Print(response, o =>
            {
                var rows = Items(response.Json, "samples");
                Printer.Table(o, rows, MetricColumns);
                o.WriteLine(At(response.Json, "next_from") is null
                    ? $"{rows.Count} samples"
                    : $"{rows.Count} samples (more: --from {Text(response.Json, "next_from")})");
            });
        });
    }

    private static void StatusLine(TextWriter o, JsonNode answer) =>
        o.WriteLine($"Worker {Text(answer, "worker_id")}: {Text(answer, "status")}. {Text(answer, "message")}".TrimEnd());

    /// <summary>"3 workers" under a table, or "20 of 57 workers (page 1; --page for more)" when paged.</summary>
    public static void Footer(TextWriter o, int shown, JsonNode list, string plural)
    {
        var total = At(list, "total")?.GetValue<int>() ?? shown;
        o.WriteLine(total > shown
            ? $"{shown} of {total} {plural} (page {Text(list, "page")}; --page for more)"
            : $"{total} {plural}");
    }
}
