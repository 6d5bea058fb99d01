using Aetherium.Scheduler.Vms;

namespace Aetherium.Scheduler.Scheduling;

/// <summary>Resources some VMs take on a worker; added when they are placed there, subtracted when they leave.</summary>
public readonly record struct Allocation(int Cpu, long MemoryMb, long DiskGb, int Gpus, int Vms)
{
    public static Allocation Of(Vm vm) => new(vm.CpuCores, vm.MemoryMb, vm.DiskGb, vm.Gpus, 1);

    public static Allocation Of(IEnumerable<Vm> vms) => vms.Aggregate(default(Allocation), (sum, vm) => sum + Of(vm));

    public static Allocation operator +(Allocation a, Allocation b) =>
        new(a.Cpu + b.Cpu, a.MemoryMb + b.MemoryMb, a.DiskGb + b.DiskGb, a.Gpus + b.Gpus, a.Vms + b.Vms);

    public static Allocation operator -(Allocation a) => new(-a.Cpu, -a.MemoryMb, -a.DiskGb, -a.Gpus, -a.Vms);
}
