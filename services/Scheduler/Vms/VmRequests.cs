using Aetherium.Contracts;
using Aetherium.Contracts.Agent;
using Aetherium.Scheduler.Images;
using Aetherium.ServiceDefaults.Http;

namespace Aetherium.Scheduler.Vms;

/// <summary>A VM spec as a tenant sends it (DESIGN §12); sizes left out come from the image's defaults.</summary>
public sealed record VmSpecRequest(
    int? CpuCores = null,
    int? MemoryMb = null,
    int? DiskGb = null,
    string? ImageId = null,
    bool? RequiresGpu = null,
    int? GpuCount = null,
    string? Zone = null,
    Dictionary<string, string>? Labels = null,
    string? Runtime = null,
    string? Command = null,
    string? Scoring = null)
{
    /// <summary>A command's spec (from lease): zero sizes mean "the image's default".</summary>
    public static VmSpecRequest From(VmSpec s) => new(
        s.CpuCores > 0 ? s.CpuCores : null,
        s.MemoryMb > 0 ? s.MemoryMb : null,
        s.DiskGb > 0 ? s.DiskGb : null,
        s.ImageId, s.RequiresGpu, s.GpuCount, s.Zone,
        s.Labels is null ? null : new Dictionary<string, string>(s.Labels),
        s.Runtime, s.Command);
}

public sealed record CreateVmRequest(string? Name, VmSpecRequest? Spec);

/// <summary>Checks a VM request field by field and builds the pending VM.</summary>
public static class VmRequests
{
    public const int MaxCpuCores = 256;
    public const int MinMemoryMb = 64;
    public const int MaxMemoryMb = 4 * 1024 * 1024;
    public const int MaxDiskGb = 65536;
    public const int MaxGpus = 16;
    public const int MaxLabels = 32;
    public const int MaxLabelLength = 63;
    public const int MaxCommandLength = 4096;
    public static readonly string[] ScoringModes = ["binpack", "spread"];

    public static Vm? Build(Guid id, Guid organizationId, Guid? leaseId, string? name, VmSpecRequest? spec,
        IReadOnlyDictionary<string, Image> images, DateTimeOffset now, Validator v)
    {
        if (string.IsNullOrWhiteSpace(name)) v.Add("name", "is required");
        else if (name.Length > 63) v.Add("name", "must be at most 63 characters");
        else if (!IsName(name)) v.Add("name", "may contain only letters, digits, '-', '_' and '.', and must start with a letter or digit");

        if (spec is null)
        {
            v.Add("spec", "is required");
            return null;
        }

        Image? image = null;
        if (string.IsNullOrWhiteSpace(spec.ImageId)) v.Add("spec.image_id", "is required");
        else if (!images.TryGetValue(spec.ImageId, out image))
            v.Add("spec.image_id", $"unknown image '{Truncate(spec.ImageId)}'; GET /api/v1/images lists them");

        Range(v, "spec.cpu_cores", spec.CpuCores, 1, MaxCpuCores);
        Range(v, "spec.memory_mb", spec.MemoryMb, MinMemoryMb, MaxMemoryMb);
        Range(v, "spec.disk_gb", spec.DiskGb, 1, MaxDiskGb);
        Range(v, "spec.gpu_count", spec.GpuCount, 0, MaxGpus);

        if (spec.Zone is not null && (spec.Zone.Trim().Length == 0 || spec.Zone.Length > 64))
            v.Add("spec.zone", "must be 1 to 64 characters when given");

        if (spec.Labels is { } labels)
        {
            if (labels.Count > MaxLabels) v.Add("spec.labels", $"at most {MaxLabels} labels");
            foreach (var (key, value) in labels)
            {
                if (string.IsNullOrWhiteSpace(key) || key.Length > MaxLabelLength)
                    v.Add("spec.labels", $"keys must be 1 to {MaxLabelLength} characters");
                else if (value is null || value.Length > MaxLabelLength)
                    v.Add($"spec.labels.{key}", $"must be a string of at most {MaxLabelLength} characters");
            }
        }

        if (spec.Runtime is not null && image is not null && !image.Runtimes.Contains(spec.Runtime, StringComparer.Ordinal))
            v.Add("spec.runtime", $"image '{image.Id}' runs on {string.Join(", ", image.Runtimes)}");

        if (spec.Command is { Length: > MaxCommandLength }) v.Add("spec.command", $"must be at most {MaxCommandLength} characters");

        string? scoring = null;
        if (spec.Scoring is not null)
        {
            scoring = spec.Scoring.ToLowerInvariant();
            if (!ScoringModes.Contains(scoring)) v.Add("spec.scoring", "must be 'binpack' or 'spread'");
        }

        if (v.Failed || image is null) return null;
        var gpuCount = spec.GpuCount ?? 0;
        var requiresGpu = (spec.RequiresGpu ?? false) || gpuCount > 0;
        return new Vm
        {
            Id = id,
            OrganizationId = organizationId,
            LeaseId = leaseId,
            Name = name!,
            Status = VmStatus.Pending,
            CpuCores = spec.CpuCores ?? image.DefaultCpuCores,
            MemoryMb = spec.MemoryMb ?? image.DefaultMemoryMb,
            DiskGb = spec.DiskGb ?? image.DefaultDiskGb,
            ImageId = image.Id,
            RequiresGpu = requiresGpu,
            GpuCount = requiresGpu ? Math.Max(gpuCount, 1) : 0,
            Zone = spec.Zone,
            Labels = spec.Labels ?? new Dictionary<string, string>(),
            Runtime = spec.Runtime,
            Command = spec.Command,
            Scoring = scoring,
            PowerState = PowerStates.Running,
            Version = 1,
            QueuedAt = now,
            CreatedAt = now,
            UpdatedAt = now,
        };
    }

    private static void Range(Validator v, string field, int? value, int min, int max)
    {
        if (value is { } x && (x < min || x > max)) v.Add(field, $"must be between {min} and {max}");
    }

    private static bool IsName(string name) =>
        char.IsAsciiLetterOrDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static string Truncate(string s) => s.Length <= 64 ? s : s[..64] + "…";

    public static string Cut(string s, int max) => s.Length <= max ? s : s[..max];
}
