using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Aetherium.Agent.Runtime.Qemu;

/// <summary>
/// A VM image in a local directory, as scripts/build-image.sh writes it (and, later, as the agent's
/// image cache will hold a catalog image): manifest.json naming a kernel, an initrd and a base disk,
/// each with its SHA-256. Every file is checked against the manifest before a VM boots from it.
/// </summary>
public sealed record QemuImage(string Directory, ImageManifest Manifest)
{
    public string KernelPath => Path.Combine(Directory, Manifest.Kernel!.File);
    public string InitrdPath => Path.Combine(Directory, Manifest.Initrd!.File);
    public string DiskPath => Path.Combine(Directory, Manifest.Disk.File);

    /// <summary>The image, verified; or why it cannot be used (missing, unreadable, checksum mismatch).</summary>
    public static (QemuImage? Image, string? Error) Load(string directory)
    {
        var manifestPath = Path.Combine(directory, "manifest.json");
        ImageManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ImageManifest>(File.ReadAllText(manifestPath), Json);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return (null, $"image manifest {manifestPath} cannot be read: {e.Message}");
        }
        if (manifest?.Disk is null || (manifest.Boot == "kernel" && (manifest.Kernel is null || manifest.Initrd is null)))
            return (null, $"image manifest {manifestPath} names no disk, or no kernel and initrd for a kernel boot");
        if (manifest.Boot != "kernel")
            return (null, $"image {manifest.Name}: boot \"{manifest.Boot}\" is not supported yet (only \"kernel\")");
        foreach (var file in (ImageFile[])[manifest.Kernel!, manifest.Initrd!, manifest.Disk])
        {
            var path = Path.Combine(directory, file.File);
            if (Path.GetFileName(file.File) != file.File) return (null, $"image {manifest.Name}: file name \"{file.File}\" is not a plain name");
            string actual;
            try
            {
                using var stream = File.OpenRead(path);
                actual = Convert.ToHexStringLower(SHA256.HashData(stream));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return (null, $"image {manifest.Name}: {file.File} cannot be read: {e.Message}");
            }
            if (!string.Equals(actual, file.Sha256, StringComparison.OrdinalIgnoreCase))
                return (null, $"image {manifest.Name}: checksum mismatch for {file.File} (sha256 {actual}, manifest says {file.Sha256})");
        }
        return (new QemuImage(directory, manifest), null);
    }

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}

/// <summary>manifest.json: what a catalog entry will carry for the image (see agent/README.md, "VM images").</summary>
public sealed record ImageManifest(
    string Name,
    string Format,
    string Boot,
    ImageFile? Kernel,
    ImageFile? Initrd,
    ImageFile Disk,
    string? Cmdline,
    string? LoginUser,
    IReadOnlyList<string>? Runtimes,
    [property: JsonPropertyName("min_memory_mb")] int MinMemoryMb = 0);

public sealed record ImageFile(string File, string Sha256, string? Format = null);
