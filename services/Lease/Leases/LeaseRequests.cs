using System.Text.Json.Serialization;

namespace Aetherium.Lease.Leases;

// Every field is nullable so that a missing one is reported by the rules, not by the deserializer;
// unknown fields are refused rather than silently ignored (a misspelt "duration_hour" must not rent for a default).

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RentRequest(
    decimal? DurationHours = null,
    decimal? DurationSeconds = null,
    int? Count = null,
    SpecRequest? Spec = null,
    string? SshPublicKey = null,
    string? Name = null);

/// <summary>DESIGN §12's VM spec; a field left out takes the configured default size.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record SpecRequest(
    int? CpuCores = null,
    int? MemoryMb = null,
    int? DiskGb = null,
    string? ImageId = null,
    bool? RequiresGpu = null,
    int? GpuCount = null,
    string? Zone = null,
    Dictionary<string, string>? Labels = null,
    string? Runtime = null,
    string? Command = null);

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ExtendRequest(decimal? AdditionalHours = null, decimal? AdditionalSeconds = null);
