using System.Diagnostics;
using System.Globalization;
using Aetherium.Contracts;
using Aetherium.Contracts.Text;

namespace Aetherium.Agent.Facts;

/// <summary>NVIDIA GPUs through nvidia-smi, when the tool is installed.</summary>
public static class NvidiaSmi
{
    public const string QueryArguments =
        "--query-gpu=index,uuid,name,memory.total,memory.free,utilization.gpu,temperature.gpu --format=csv,noheader,nounits";

    /// <summary>
    /// Parses the output of <see cref="QueryArguments"/>: one line per GPU,
    /// e.g. "0, GPU-5d1c…, NVIDIA H100 80GB HBM3, 81559, 81004, 0, 31". Fields nvidia-smi cannot
    /// read on a board ("[N/A]", "[Not Supported]") become 0 rather than dropping the GPU.
    /// </summary>
    public static IReadOnlyList<GpuInfo> Parse(string csv)
    {
        var gpus = new List<GpuInfo>();
        foreach (var raw in csv.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0) continue;
            var f = line.Split(',', StringSplitOptions.TrimEntries);
            if (f.Length < 7) continue;
            var deviceId = f[1].Length > 0 && !f[1].StartsWith('[') ? f[1] : $"GPU-{f[0]}";
            gpus.Add(new GpuInfo(TextRules.Clean(deviceId, 100), TextRules.Clean(f[2], 200), (long)Number(f[3]), (long)Number(f[4]), Number(f[5]), Number(f[6])));
        }
        return gpus;
    }

    /// <summary>A figure, or 0 when unreadable or not finite (the controller refuses NaN and infinities).</summary>
    private static double Number(string field) =>
        double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) ? Math.Max(0, value) : 0;

    /// <summary>The full path of nvidia-smi on PATH, or null when this machine has none.</summary>
    public static string? Locate()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "nvidia-smi");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>Runs the query; an absent, hanging or failing nvidia-smi means "no GPUs", never a crashed agent.</summary>
    public static async Task<IReadOnlyList<GpuInfo>> QueryAsync(string executable, CancellationToken ct)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(executable, QueryArguments)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null) return [];
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            _ = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                return [];
            }
            return process.ExitCode == 0 ? Parse(await output) : [];
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            return [];
        }
    }
}
