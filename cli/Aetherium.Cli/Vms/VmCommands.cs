using System.CommandLine;
using System.Text.Json.Nodes;
using Aetherium.Cli.Output;
using Aetherium.Cli.Workers;
using static Aetherium.Cli.Output.Fields;

namespace Aetherium.Cli.Vms;

/// <summary>vms list|show|create|delete|start|stop|restart (DESIGN §5 "vms").</summary>
public static class VmCommands
{
    /// <summary>The API's field names for a spec, as the options that set them (also used by leases rent).</summary>
    public static readonly Dictionary<string, string> SpecFields = new()
    {
        ["name"] = "name", ["spec"] = "the spec", ["spec.cpu_cores"] = "--cpu", ["spec.memory_mb"] = "--memory", ["spec.disk_gb"] = "--disk",
        ["spec.image_id"] = "--image", ["spec.gpu_count"] = "--gpus", ["spec.zone"] = "--zone", ["spec.labels"] = "--label",
        ["spec.runtime"] = "--runtime", ["spec.command"] = "--command",
    };

    public static Command Build(Terminal terminal, GlobalOptions options)
    {
        var vms = new Command("vms", "Virtual machines: list, create, delete, start, stop, restart");
        vms.Subcommands.Add(List(terminal, options));
        vms.Subcommands.Add(Show(terminal, options));
        vms.Subcommands.Add(Create(terminal, options));
        vms.Subcommands.Add(Delete(terminal, options));
        foreach (var action in new[] { "start", "stop", "restart" })
            vms.Subcommands.Add(Action(terminal, options, action));
        return vms;
    }

    public static readonly Column[] Columns =
    [
        new("ID", v => Text(v, "id")),
        new("NAME", v => Text(v, "name")),
        new("STATUS", v => Text(v, "status")),
        new("POWER", v => Text(v, "power_state")),
        new("CPU", v => Text(v, "spec.cpu_cores")),
        new("MEMORY_MB", v => Text(v, "spec.memory_mb")),
        new("IMAGE", v => Text(v, "spec.image_id")),
        new("WORKER", v => Text(v, "worker_id")),
        new("ADDRESS", v => At(v, "address") is null ? Missing : $"{Text(v, "address")}:{Text(v, "port")}"),
    ];

    private static Command List(Terminal terminal, GlobalOptions options)
    {
        var status = new Option<string>("--status") { Description = "Only VMs in this status (deleted ones only with --status deleted)" };
        var worker = Arguments.Value<Guid>("--worker", "Only VMs placed on this worker");
        var lease = Arguments.Value<Guid>("--lease", "Only VMs of this lease");
        var page = Arguments.Value<int>("--page", "Page number (from 1)");
        var limit = Arguments.Value<int>("--limit", "VMs per page (at most 500)");
        var command = new Command("list", "List your VMs (admins: all)") { status, worker, lease, page, limit };
        return command.Runs(terminal, options, async (i, ct) =>
        {
            var query = Arguments.Query(("status", i.Get(status)), ("worker_id", i.Get(worker)), ("lease_id", i.Get(lease)),
                ("page", i.Get(page)), ("limit", i.Get(limit)));
            var response = await i.Gateway().SendAsync(HttpMethod.Get, "api/v1/vms" + query, null, ct,
                new() { ["status"] = "--status", ["worker_id"] = "--worker", ["lease_id"] = "--lease", ["page"] = "--page", ["limit"] = "--limit" });
            i.Printer.Print(response, o =>
            {
                var rows = Items(response.Json, "vms");
                Printer.Table(o, rows, Columns);
                WorkerCommands.Footer(o, rows.Count, response.Json, "VMs");
            });
        });
    }

    private static Command Show(Terminal terminal, GlobalOptions options)
    {
        var id = Arguments.Id("VM");
        var command = new Command("show", "Show one VM: status, placement, spec") { id };
        return command.Runs(terminal, options, async (i, ct) =>
        {
            var response = await i.Gateway().SendAsync(HttpMethod.Get, $"api/v1/vms/{i.Get(id)}", null, ct);
            i.Printer.Print(response, o => Details(o, response.Json));
        });
    }

    private static void Details(TextWriter o, JsonNode vm) => Printer.Record(o, vm,
        ("ID", x => Text(x, "id")),
        ("Name", x => Text(x, "name")),
        ("Status", x => Text(x, "status") + (At(x, "status_reason") is null ? "" : $" ({Text(x, "status_reason")})")),
        ("Power", x => Text(x, "power_state")),
        ("Worker", x => Text(x, "worker_id")),
        ("Address", x => At(x, "address") is null ? Missing : $"{Text(x, "address")}:{Text(x, "port")}"),
        ("Lease", x => Text(x, "lease_id")),
        ("CPU cores", x => Text(x, "spec.cpu_cores")),
        ("Memory MB", x => Text(x, "spec.memory_mb")),
        ("Disk GB", x => Text(x, "spec.disk_gb")),
        ("Image", x => Text(x, "spec.image_id")),
        ("GPUs", x => Text(x, "spec.gpu_count")),
        ("Zone", x => Text(x, "spec.zone")),
        ("Labels", x => Text(x, "spec.labels")),
        ("Created", x => Time(x, "created_at")),
        ("Updated", x => Time(x, "updated_at")));

    /// <summary>The size and placement options of a VM spec (vms create, leases rent).</summary>
    public sealed class SpecOptions
    {
        public Option<int?> Cpu { get; } = Arguments.Value<int>("--cpu", "CPU cores");
        public Option<int?> Memory { get; } = Arguments.Value<int>("--memory", "Memory in MB");
        public Option<int?> Disk { get; } = Arguments.Value<int>("--disk", "Disk in GB");
        public Option<string> Image { get; } = new("--image") { Description = "Image id (GET /api/v1/images lists them, e.g. ubuntu-24.04)" };
        public Option<int?> Gpus { get; } = Arguments.Value<int>("--gpus", "GPUs");
        public Option<string> Zone { get; } = new("--zone") { Description = "Place only in this zone" };
        public Option<string[]> Labels { get; } = Arguments.Labels("Place only on workers with this label");

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { Cpu, Memory, Disk, Image, Gpus, Zone, Labels }) command.Options.Add(option);
        }

        public object Body(Invocation i) => new
        {
            cpu_cores = i.Get(Cpu), memory_mb = i.Get(Memory), disk_gb = i.Get(Disk), image_id = i.Get(Image),
            gpu_count = i.Get(Gpus), zone = i.Get(Zone), labels = Arguments.LabelMap(i.Get(Labels)),
        };
    }

    private static Command Create(Terminal terminal, GlobalOptions options)
    {
        var name = new Argument<string>("name") { Description = "The VM's name" };
        var spec = new SpecOptions();
        var command = new Command("create", "Ask for a VM; it is placed on a worker asynchronously ('aetherium watch' shows it)") { name };
        spec.AddTo(command);
        return command.Runs(terminal, options, async (i, ct) =>
        {
            var response = await i.Gateway().SendAsync(HttpMethod.Post, "api/v1/vms", new { name = i.Get(name), spec = spec.Body(i) }, ct, SpecFields);
            i.Printer.Print(response, o => o.WriteLine($"VM {Text(response.Json, "id")} ({Text(response.Json, "name")}) requested: {Text(response.Json, "status")}."));
        });
    }

    private static Command Delete(Terminal terminal, GlobalOptions options)
    {
        var id = Arguments.Id("VM");
        var command = new Command("delete", "Delete a VM (its worker stops it)") { id };
        return command.Runs(terminal, options, async (i, ct) =>
        {
            var response = await i.Gateway().SendAsync(HttpMethod.Delete, $"api/v1/vms/{i.Get(id)}", null, ct);
            i.Printer.Print(response, o => o.WriteLine($"VM {Text(response.Json, "id")}: {Text(response.Json, "status")}."));
        });
    }

    private static Command Action(Terminal terminal, GlobalOptions options, string action)
    {
        var id = Arguments.Id("VM");
        var command = new Command(action, $"{char.ToUpperInvariant(action[0])}{action[1..]} a VM") { id };
        return command.Runs(terminal, options, async (i, ct) =>
        {
            var response = await i.Gateway().SendAsync(HttpMethod.Post, $"api/v1/vms/{i.Get(id)}/action", new { action }, ct);
            i.Printer.Print(response, o => o.WriteLine(
                $"VM {Text(response.Json, "id")}: {action} ordered (status {Text(response.Json, "status")}, power {Text(response.Json, "power_state")})."));
        });
    }
}
