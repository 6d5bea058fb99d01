namespace Aetherium.Contracts.Agent;

/// <summary>Sizes of the agent protocol that both sides must agree on.</summary>
public static class AgentLimits
{
    /// <summary>The largest frame the controller reads (WebSocket message or HTTP fallback body); a bigger one closes the session with 1009.</summary>
    public const int MaxFrameBytes = 1 << 20;

    /// <summary>A VM's reason as the controller keeps it; the agent cuts its reports to this.</summary>
    public const int VmReasonLength = 500;

    public const int MaxVmsPerReport = 10_000;
    public const int MaxGpus = 64;
    public const long MaxMegabytes = 1L << 40;
    public const long MaxUptimeSeconds = 100L * 365 * 24 * 3600;
}

/// <summary>
/// The ranges every number and the limits every string of an agent frame must respect — one rule set
/// for NODE_REGISTER, TELEMETRY_HEARTBEAT and TELEMETRY_METRICS, over the WebSocket and the HTTP
/// fallback alike (what TextRules checks of each string comes first, while the JSON is read). Field
/// names are the wire's: "cpu.usage_percent", "vms[2].state", "gpus[0].temperature".
/// A valid frame costs no allocation beyond the collector.
/// </summary>
public static class FrameRules
{
    public static FieldErrors Check(HeartbeatData d)
    {
        var v = new FieldErrors();
        v.Percent(d.CpuUsagePercent, "cpu_usage_percent");
        v.Percent(d.MemoryUsagePercent, "memory_usage_percent");
        v.Percent(d.DiskUsagePercent, "disk_usage_percent");
        v.Range(d.UptimeSeconds, 0, AgentLimits.MaxUptimeSeconds, "uptime_seconds");
        v.Range(d.DesiredVersion, 0, long.MaxValue, "desired_version");
        if (d.Vms is null) return v;
        if (d.Vms.Count > AgentLimits.MaxVmsPerReport) v.Add("vms", $"at most {AgentLimits.MaxVmsPerReport} VMs");
        for (var i = 0; i < d.Vms.Count && !v.Failed; i++)
        {
            var vm = d.Vms[i];
            if (vm is null) { v.Add($"vms[{i}]", "must be an object"); break; }
            if (vm.VmId == Guid.Empty) v.Add($"vms[{i}].vm_id", "is required");
            if (vm.State is not { Length: > 0 and <= 20 }) v.Add($"vms[{i}].state", "is required (at most 20 characters)");
            if (vm.DesiredVersion < 0) v.Add($"vms[{i}].desired_version", "must not be negative");
            if (vm.Restarts < 0) v.Add($"vms[{i}].restarts", "must not be negative");
            if (vm.Generation < 0) v.Add($"vms[{i}].generation", "must not be negative");
        }
        return v;
    }

    public static FieldErrors Check(MetricsData d)
    {
        var v = new FieldErrors();
        Usage(v, d.Cpu, "cpu");
        Usage(v, d.Memory, "memory");
        Usage(v, d.Disk, "disk");
        if (d.Network is { } n)
        {
            v.Range(n.BytesIn, 0, long.MaxValue, "network.bytes_in");
            v.Range(n.BytesOut, 0, long.MaxValue, "network.bytes_out");
        }
        Gpus(v, d.Gpus);
        return v;
    }

    public static FieldErrors Check(NodeRegisterData? d)
    {
        var v = new FieldErrors();
        if (d is null)
        {
            v.Add("data", "NODE_REGISTER needs its data");
            return v;
        }
        v.Require(d.Hostname is { Length: > 0 and <= 255 } && !string.IsNullOrWhiteSpace(d.Hostname), "hostname", "is required (at most 255 characters)");
        v.Require(d.IpAddress is { Length: > 0 and <= 64 }, "ip_address", "is required (at most 64 characters)");
        v.Require(d.PublicIpAddress is null || d.PublicIpAddress.Length <= 64, "public_ip_address", "at most 64 characters");
        v.Require(d.Os is null || d.Os.Length <= 200, "os", "at most 200 characters");
        v.Require(d.CpuModel is null || d.CpuModel.Length <= 200, "cpu_model", "at most 200 characters");
        v.Require(d.AgentVersion is null || d.AgentVersion.Length <= 50, "agent_version", "at most 50 characters");
        v.Require(d.CpuCores is >= 1 and <= 100_000, "cpu_cores", "must be between 1 and 100000");
        v.Range(d.MemoryMb, 0, AgentLimits.MaxMegabytes, "memory_mb");
        v.Range(d.DiskGb, 0, AgentLimits.MaxMegabytes, "disk_gb");
        v.Range(d.UptimeSeconds, 0, AgentLimits.MaxUptimeSeconds, "uptime_seconds");
        Gpus(v, d.Gpus);
        v.Require(d.Runtimes is null || (d.Runtimes.Count <= 20 && d.Runtimes.All(r => r is { Length: > 0 and <= 50 })), "runtimes", "at most 20 names of up to 50 characters");
        v.Require(d.Runtime is null || d.Runtime.Length <= 50, "runtime", "at most 50 characters");
        v.Require(d.SupportedImages is null || (d.SupportedImages.Count <= 1000 && d.SupportedImages.All(i => i is { Length: > 0 and <= 200 })),
            "supported_images", "at most 1000 image ids of up to 200 characters");
        return v;
    }

    private static void Usage(FieldErrors v, UsageFigures? u, string name)
    {
        if (u is null) return;
        v.Percent(u.UsagePercent, name, "usage_percent");
        if (u.TotalMb is { } total) v.Range(total, 0, AgentLimits.MaxMegabytes, name, "total_mb");
        if (u.UsedMb is { } used) v.Range(used, 0, AgentLimits.MaxMegabytes, name, "used_mb");
        if (u.Cores is { } cores) v.Range(cores, 0, 100_000, name, "cores");
        if (u.LoadAverage is not { } load) return;
        if (load.Length > 3) v.Add($"{name}.load_average", "at most 3 figures (1, 5 and 15 minutes)");
        foreach (var l in load)
            if (!(double.IsFinite(l) && l is >= 0 and <= 1_000_000)) { v.Add($"{name}.load_average", "must be finite, between 0 and 1000000"); break; }
    }

    private static void Gpus(FieldErrors v, IReadOnlyList<GpuInfo>? gpus)
    {
        if (gpus is null) return;
        if (gpus.Count > AgentLimits.MaxGpus) v.Add("gpus", $"at most {AgentLimits.MaxGpus} GPUs");
        for (var i = 0; i < gpus.Count && i < AgentLimits.MaxGpus; i++)
        {
            var g = gpus[i];
            if (g is null) { v.Add($"gpus[{i}]", "must be an object"); continue; }
            if (g.DeviceId is not { Length: > 0 and <= 100 }) v.Add($"gpus[{i}].device_id", "is required (at most 100 characters)");
            if (g.Model is not { Length: <= 200 }) v.Add($"gpus[{i}].model", "is required (at most 200 characters)");
            if (g.MemoryTotalMb is < 0 or > AgentLimits.MaxMegabytes) v.Add($"gpus[{i}].memory_total_mb", $"must be between 0 and {AgentLimits.MaxMegabytes}");
            if (g.MemoryFreeMb is < 0 or > AgentLimits.MaxMegabytes) v.Add($"gpus[{i}].memory_free_mb", $"must be between 0 and {AgentLimits.MaxMegabytes}");
            if (!(double.IsFinite(g.Utilization) && g.Utilization is >= 0 and <= 100)) v.Add($"gpus[{i}].utilization", "must be a percentage, 0 to 100");
            if (!(double.IsFinite(g.Temperature) && g.Temperature is >= -50 and <= 200)) v.Add($"gpus[{i}].temperature", "must be between -50 and 200 °C");
        }
    }
}

/// <summary>
/// Field errors that travel as a 400 ValidationProblem (HTTP) and inside REGISTER_ACK (WebSocket).
/// Names of nested fields are only built when a check fails.
/// </summary>
public sealed class FieldErrors
{
    private Dictionary<string, List<string>>? _errors;

    public bool Failed => _errors is not null;

    /// <summary>The first field that failed (for a log line), or null.</summary>
    public string? FirstField => _errors?.Keys.First();

    public void Require(bool ok, string field, string message)
    {
        if (!ok) Add(field, message);
    }

    public void Add(string field, string message)
    {
        _errors ??= [];
        if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
        list.Add(message);
    }

    public void Percent(double value, string field, string? child = null)
    {
        if (!(double.IsFinite(value) && value is >= 0 and <= 100)) Add(Name(field, child), "must be a percentage, 0 to 100");
    }

    public void Range(long value, long min, long max, string field, string? child = null)
    {
        if (value < min || value > max) Add(Name(field, child), $"must be between {min} and {max}");
    }

    public Dictionary<string, string[]> ToDictionary() => _errors?.ToDictionary(e => e.Key, e => e.Value.ToArray()) ?? [];

    private static string Name(string field, string? child) => child is null ? field : $"{field}.{child}";
}
