using System.Text.RegularExpressions;
using Aetherium.Contracts;
using Aetherium.ServiceDefaults.Http;

namespace Aetherium.Lease.Leases;

/// <summary>What makes a rent or an extension acceptable; each rule adds field errors to a <see cref="Validator"/>.</summary>
public static partial class LeaseRules
{
    public static readonly TimeSpan MinDuration = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan MinExtension = TimeSpan.FromSeconds(1);
    private const int MaxLabels = 32;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,47}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,99}$")]
    private static partial Regex ImagePattern();

    public sealed record RentPlan(TimeSpan Duration, int Count, VmSpec Spec, string? SshPublicKey, string? Name);

    public static RentPlan? Check(Validator v, RentRequest r, LeaseSettings settings)
    {
        var duration = Duration(v, r.DurationHours, "duration_hours", r.DurationSeconds, "duration_seconds", MinDuration, settings);
        var count = r.Count ?? 1;
        v.Require(count >= 1 && count <= settings.MaxCount, "count", $"must be between 1 and {settings.MaxCount}");
        var spec = Spec(v, r.Spec, settings.DefaultSpec);
        if (r.SshPublicKey is not null && SshPublicKey.Problem(r.SshPublicKey) is { } keyProblem)
            v.Add("ssh_public_key", keyProblem);
        if (r.Name is not null)
            v.Require(NamePattern().IsMatch(r.Name), "name",
                "must be 1 to 48 letters, digits, '.', '_' or '-', starting with a letter or digit");
        return v.Failed ? null : new RentPlan(duration!.Value, count, spec, r.SshPublicKey?.Trim(), r.Name);
    }

    public static TimeSpan? Check(Validator v, ExtendRequest r, LeaseSettings settings) =>
        Duration(v, r.AdditionalHours, "additional_hours", r.AdditionalSeconds, "additional_seconds", MinExtension, settings);

    /// <summary>Exactly one of hours (fractions allowed) or seconds, between the minimum and the configured maximum.</summary>
    private static TimeSpan? Duration(Validator v, decimal? hours, string hoursField, decimal? seconds, string secondsField,
        TimeSpan min, LeaseSettings settings)
    {
        var max = TimeSpan.FromHours(settings.MaxDurationHours);
        if (hours is not null && seconds is not null)
        {
            v.Add(hoursField, $"give either {hoursField} or {secondsField}, not both");
            return null;
        }
        if (hours is null && seconds is null)
        {
            v.Add(hoursField, $"is required (or {secondsField})");
            return null;
        }
        var field = hours is not null ? hoursField : secondsField;
        // Range-check before converting: a huge number must be a field error, not an overflow.
        var value = hours ?? seconds!.Value;
        var limit = hours is not null ? (decimal)max.TotalHours : (decimal)max.TotalSeconds;
        var totalSeconds = value >= 0 && value <= limit ? (hours is not null ? value * 3600 : value) : decimal.MaxValue;
        if (totalSeconds < (decimal)min.TotalSeconds || totalSeconds > (decimal)max.TotalSeconds)
        {
            v.Add(field, hours is not null
                ? $"must be between {min.TotalHours:0.#####} and {max.TotalHours:0.##} hours"
                : $"must be between {min.TotalSeconds:0} and {max.TotalSeconds:0} seconds");
            return null;
        }
        return Clock.Microseconds(TimeSpan.FromTicks((long)(totalSeconds * TimeSpan.TicksPerSecond)));
    }

    private static VmSpec Spec(Validator v, SpecRequest? s, DefaultSpec d)
    {
        s ??= new SpecRequest();
        var cpu = s.CpuCores ?? d.CpuCores;
        var memory = s.MemoryMb ?? d.MemoryMb;
        var disk = s.DiskGb ?? d.DiskGb;
        var image = s.ImageId ?? d.ImageId;
        v.Require(cpu is >= 1 and <= 128, "spec.cpu_cores", "must be between 1 and 128");
        v.Require(memory is >= 128 and <= 1_048_576, "spec.memory_mb", "must be between 128 and 1048576");
        v.Require(disk is >= 1 and <= 65_536, "spec.disk_gb", "must be between 1 and 65536");
        v.Require(ImagePattern().IsMatch(image), "spec.image_id", "must be an image id such as 'ubuntu-24.04' (lower-case letters, digits, '.', '_', '-')");

        // requires_gpu alone asks for one GPU; a GPU count implies requires_gpu.
        var gpus = s.GpuCount ?? (s.RequiresGpu == true ? 1 : 0);
        v.Require(gpus is >= 0 and <= 16, "spec.gpu_count", "must be between 0 and 16");
        if (s.RequiresGpu == true && gpus == 0) v.Add("spec.gpu_count", "must be at least 1 when requires_gpu is true");
        if (s.RequiresGpu == false && gpus > 0) v.Add("spec.requires_gpu", "must be true when gpu_count is above 0");

        if (s.Zone is not null) v.Require(s.Zone.Length is >= 1 and <= 63, "spec.zone", "must be 1 to 63 characters");
        if (s.Labels is not null)
        {
            v.Require(s.Labels.Count <= MaxLabels, "spec.labels", $"may hold at most {MaxLabels} labels");
            foreach (var (key, value) in s.Labels)
            {
                if (key.Length is < 1 or > 63) v.Add("spec.labels", $"label key '{key}' must be 1 to 63 characters");
                if (value is null || value.Length > 255) v.Add("spec.labels", $"label '{key}' must have a value of at most 255 characters");
            }
        }
        if (s.Runtime is not null) v.Require(s.Runtime.Length is >= 1 and <= 32, "spec.runtime", "must be 1 to 32 characters");
        if (s.Command is not null) v.Require(s.Command.Length is >= 1 and <= 4096, "spec.command", "must be 1 to 4096 characters");

        return new VmSpec(cpu, memory, disk, image, gpus > 0, gpus, s.Zone, s.Labels, s.Runtime, s.Command);
    }
}
