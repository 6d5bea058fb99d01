using System.CommandLine;
using System.Text.Json.Nodes;
using Aetherium.Cli.Output;
using static Aetherium.Cli.Output.Fields;

namespace Aetherium.Cli.Cluster;

/// <summary>cluster stats|distribution (seed 003's figures: your organisation's workers, admins the whole fleet).</summary>
public static class ClusterCommands
{
    public static Command Build(Terminal terminal, GlobalOptions options)
    {
        var cluster = new Command("cluster", "The cluster as a whole");
        var stats = new Command("stats", "Workers by status, capacity and use, VMs, zones");
        stats.Runs(terminal, options, async (i, ct) =>
        {
            var response = await i.Gateway().SendAsync(HttpMethod.Get, "api/v1/cluster/stats", null, ct);
            i.Printer.Print(response, o => Print(o, response.Json));
        });
        cluster.Subcommands.Add(stats);

        var distribution = new Command("distribution", "Which VMs run on which worker");
        distribution.Runs(terminal, options, async (i, ct) =>
        {
            var response = await i.Gateway().SendAsync(HttpMethod.Get, "api/v1/cluster/distribution", null, ct);
            i.Printer.Print(response, o =>
            {
                var rows = Items(response.Json, "distribution");
                Printer.Table(o, rows, DistributionColumns);
                o.WriteLine($"{Text(response.Json, "total_workers")} workers");
            });
        });
        cluster.Subcommands.Add(distribution);
        return cluster;
    }

    private static readonly Column[] DistributionColumns =
    [
        new("WORKER", w => Text(w, "worker_id")),
        new("NAME", w => Text(w, "name")),
        new("ZONE", w => Text(w, "zone")),
        new("STATUS", w => Text(w, "status")),
        new("VMS", w => Text(w, "vm_count")),
        new("VM_NAMES", w => string.Join(",", Items(w, "vms").Select(v => Text(v, "name")))),
    ];

    private static void Print(TextWriter o, JsonNode s) => Printer.Record(o, s,
        ("Workers", x => $"{Text(x, "total_workers")} ({Text(x, "active_workers")} active, {Text(x, "draining_workers")} draining, {Text(x, "offline_workers")} offline, {Text(x, "pending_workers")} pending, {Text(x, "maintenance_workers")} maintenance)"),
        ("Healthy", x => Text(x, "healthy_workers")),
        ("CPU cores", x => $"{Text(x, "used_cpu_cores")} used of {Text(x, "total_cpu_cores")} ({Text(x, "available_cpu_cores")} available, {Text(x, "cluster_cpu_usage_percent")} % busy)"),
        ("Memory MB", x => $"{Text(x, "used_memory_mb")} used of {Text(x, "total_memory_mb")} ({Text(x, "available_memory_mb")} available, {Text(x, "cluster_memory_usage_percent")} % in use)"),
        ("Disk GB", x => $"{Text(x, "used_disk_gb")} used of {Text(x, "total_disk_gb")}"),
        ("GPUs", x => Text(x, "total_gpus")),
        ("VMs", x => $"{Text(x, "total_vms")} of {Text(x, "max_vms")} ({Text(x, "available_vm_slots")} slots free)"),
        ("Zones", x => Text(x, "zones")));
}
