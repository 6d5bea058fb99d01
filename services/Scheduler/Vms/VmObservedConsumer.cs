using Aetherium.Contracts;
using Aetherium.Contracts.Agent;
using Aetherium.Scheduler.Persistence;
using Aetherium.Scheduler.Scheduling;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Scheduler.Vms;

/// <summary>
/// Drives the lifecycle from what agents report (through inventory): scheduled → provisioning →
/// running ⇄ stopped, failed with its reason; a deleting VM becomes deleted once its agent has applied
/// a desired set without it. Idempotent and order-proof by checks, not an inbox: a report from a worker
/// the VM left, one older than the last applied, or one made against an older desired state is dropped.
/// </summary>
public sealed class VmObservedConsumer(SchedulerDbContext db, VmOperations operations, SchedulerSignals signals, TimeProvider time, ILogger<VmObservedConsumer> log)
    : IConsumer<VmObserved>
{
    private static readonly string[] AgentStates = [AgentVmStates.Provisioning, AgentVmStates.Running, AgentVmStates.Stopped, AgentVmStates.Failed];

    /// <summary>What inventory may report for a VM its agent stopped reporting.</summary>
    public const string GoneState = "deleted";

    public async Task Consume(ConsumeContext<VmObserved> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var vm = await operations.LockAsync(m.VmId, ct);
        var now = time.GetUtcNow();
        if (vm is not null) Apply(vm, m, now);
        if (m.DesiredVersion > 0) await Removals.ConfirmAsync(db, m.WorkerId, m.DesiredVersion, now, ct, except: m.VmId);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    private void Apply(Vm vm, VmObserved m, DateTimeOffset now)
    {
        if (vm.Status == VmStatus.Deleted || vm.WorkerId != m.WorkerId)
        {
            // A stale copy on a worker the VM left: that worker's desired set no longer holds it, so its agent stops it.
            log.LogDebug("VM {VmId} reported by worker {WorkerId}, where it no longer belongs; ignored", m.VmId, m.WorkerId);
            return;
        }
        if (vm.Status == VmStatus.Deleting)
        {
            if (m.State == GoneState || (m.DesiredVersion > 0 && m.DesiredVersion >= vm.DesiredVersion))
                VmStates.Deleted(db, vm, vm.StatusReason, now);
            return;
        }
        // Compared and kept at PostgreSQL's precision (microseconds), so a stored time and a new one compare alike.
        var observedAt = new DateTimeOffset(m.ObservedAt.UtcTicks - m.ObservedAt.UtcTicks % 10, TimeSpan.Zero);
        if (vm.ObservedAt is { } last && observedAt < last) return; // an older report overtaken by a newer one
        if (m.DesiredVersion > 0 && m.DesiredVersion < vm.DesiredVersion) return; // the agent has not applied our last change yet
        if (!VmStates.InDesiredSet(vm.Status)) return;
        if (Array.IndexOf(AgentStates, m.State) < 0)
        {
            log.LogWarning("VM {VmId} reported in unknown state {State}; ignored", m.VmId, m.State);
            return;
        }

        vm.ObservedAt = observedAt;
        var reason = m.State == AgentVmStates.Failed ? m.Reason ?? "the agent reported a failure" : null;
        if (vm.Status != m.State || vm.StatusReason != reason) VmStates.Transition(db, vm, m.State, reason, now);

        // A migrated VM has arrived once its new agent reports it past provisioning: that ends its move (drain counts moves).
        if (vm.MigratedFrom is not null && m.State != AgentVmStates.Provisioning)
        {
            vm.MigratedFrom = null;
            vm.MigrationReason = null;
            signals.Reschedule.Notify();
        }
    }
}
