using System.Diagnostics;
using Aetherium.Contracts.Agent;
using Aetherium.Inventory.Agents;
using Aetherium.Inventory.Telemetry;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Aetherium.Inventory.Benchmarks;

/// <summary>
/// What inventory does for each TELEMETRY_HEARTBEAT of a fleet of <see cref="Workers"/> agents running
/// <see cref="VmsPerWorker"/> VMs each: read the frame type, deserialize its data, keep the newest
/// figures and compare the VM states (the frames cycle through the fleet, VM states unchanged).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(InProcessConfig))]
public class HeartbeatHandling
{
    private byte[][] _frames = [];
    private Guid[] _workers = [];
    private HeartbeatIntake _intake = null!;
    private int _next;

    [Params(10_000)]
    public int Workers { get; set; }

    [Params(0, 4)]
    public int VmsPerWorker { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _workers = Enumerable.Range(0, Workers).Select(_ => Guid.NewGuid()).ToArray();
        _frames = _workers.Select(_ => Frame.Create(FrameTypes.TelemetryHeartbeat, new HeartbeatData(37.5, 61.25, 40, 86_400,
            Enumerable.Range(0, VmsPerWorker).Select(_ => new VmActualState(Guid.NewGuid(), AgentVmStates.Running, DesiredVersion: 3)).ToList(), 3)).ToUtf8())
            .ToArray();
        _intake = new HeartbeatIntake(new TelemetryBuffer(), new InventoryMeters(),
            new FrameRefusals(Microsoft.Extensions.Logging.Abstractions.NullLogger<FrameRefusals>.Instance, TimeProvider.System), TimeProvider.System);
    }

    [Benchmark(Description = "TELEMETRY_HEARTBEAT bytes -> in memory")]
    public void Handle()
    {
        var i = _next++ % _workers.Length;
        var frame = _frames[i];
        var received = Stopwatch.GetTimestamp();
        if (FrameCodec.PeekType(frame) != FrameTypes.TelemetryHeartbeat) throw new InvalidOperationException();
        _intake.Accept(_workers[i], FrameCodec.Data<HeartbeatData>(frame)!, received);
    }
}

public sealed class InProcessConfig : BenchmarkDotNet.Configs.ManualConfig
{
    public InProcessConfig() => AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance));
}
