using System.Globalization;
using System.Text.Json.Nodes;
using static Aetherium.Cli.Output.Fields;

namespace Aetherium.Cli.Watch;

/// <summary>One line per live event for people: time, type, and the fields that say what changed.</summary>
public static class EventLine
{
    private static readonly (string Key, string Label)[] Ids =
        [("vm_id", "vm"), ("lease_id", "lease"), ("worker_id", "worker"), ("name", "name"), ("from_worker_id", "from"), ("to_worker_id", "to")];

    private static readonly (string Key, string Label)[] Details =
        [("reason", "reason"), ("new_end", "until"), ("leased_until", "until"), ("worker_address", "address"), ("port", "port")];

    public static string Format(JsonNode envelope)
    {
        var type = Text(envelope, "type");
        return $"{Clock(envelope)}  {type,-24}  {Summary(At(envelope, "data"))}".TrimEnd();
    }

    public static string Snapshot(JsonNode snapshot) =>
        $"{Clock(snapshot, "at")}  {"snapshot",-24}  {Items(snapshot, "workers").Count} workers, {Items(snapshot, "vms").Count} VMs, {Items(snapshot, "leases").Count} leases";

    private static string Clock(JsonNode node, string path = "occurred_at") =>
        At(node, path) is JsonValue v && v.TryGetValue<string>(out var s) && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture)
            : DateTime.UtcNow.ToString("HH:mm:ss", CultureInfo.InvariantCulture);

    private static string Summary(JsonNode? data)
    {
        if (data is null) return "";
        var parts = new List<string>();
        if (At(data, "worker") is JsonObject worker)
        {
            parts.Add($"worker={Text(worker, "worker_id")}");
            parts.Add($"name={Text(worker, "name")}");
            if (At(data, "new_status") is null) parts.Add($"status={Text(worker, "status")}");
        }
        foreach (var (key, label) in Ids)
            if (At(data, key) is not null && !parts.Contains($"{label}={Text(data, key)}")) parts.Add($"{label}={Text(data, key)}");
        if (At(data, "new_status") is not null) parts.Add($"status={Text(data, "old_status")}->{Text(data, "new_status")}");
        else if (At(data, "status") is not null) parts.Add($"status={Text(data, "status")}");
        foreach (var (key, label) in Details)
            if (At(data, key) is not null) parts.Add($"{label}={Text(data, key)}");
        return string.Join(' ', parts.Select(p => new string(p.Select(c => char.IsControl(c) ? ' ' : c).ToArray())));
    }
}
