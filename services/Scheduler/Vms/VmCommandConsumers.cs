using Aetherium.Contracts;
using Aetherium.Contracts.Agent;
using Aetherium.Scheduler.Images;
using Aetherium.Scheduler.Persistence;
using Aetherium.Scheduler.Scheduling;
using Aetherium.ServiceDefaults.Http;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Scheduler.Vms;

/// <summary>
/// Lease's CreateVm, idempotent on VmId: a VM that exists (or was already deleted) is left alone.
/// A spec the API would refuse makes the VM failed with the reason, so lease learns of it.
/// </summary>
public sealed class CreateVmConsumer(SchedulerDbContext db, ImageCatalog catalog, SchedulerSignals signals, TimeProvider time, ILogger<CreateVmConsumer> log)
    : IConsumer<CreateVm>
{
    public async Task Consume(ConsumeContext<CreateVm> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        var now = time.GetUtcNow();
        var v = new Validator();
        // A command is JSON from another service: null fields are possible whatever the record says.
        var spec = m.Spec is null ? null : VmSpecRequest.From(m.Spec);
        var vm = VmRequests.Build(m.VmId, m.OrganizationId, m.LeaseId, m.Name, spec, await catalog.GetAsync(db, ct), now, v);
        var failed = vm is null;
        vm ??= Refused(m, v, now);
        if (m.Access is { Username: { Length: > 0 } username } access)
            (vm.AccessUsername, vm.AccessSshPublicKey, vm.AccessPasswordHash) = (VmRequests.Cut(username, 64), access.SshPublicKey, access.PasswordHash);

        // The row and its events commit together (a redelivered command finds the row and publishes nothing, so
        // the events must not be lost between the two). ON CONFLICT DO NOTHING: the same command twice, or a
        // DeleteVm that overtook it, wins; a concurrent DeleteVm's insert waits for this commit and then deletes it.
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var inserted = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO vms (id, organization_id, lease_id, name, status, status_reason, cpu_cores, memory_mb, disk_gb, image_id,
                requires_gpu, gpu_count, zone, labels, runtime, command, scoring, power_state, generation, version, desired_version,
                access_username, access_ssh_public_key, access_password_hash, queued_at, created_at, updated_at)
            VALUES ({vm.Id}, {vm.OrganizationId}, {vm.LeaseId}, {vm.Name}, {vm.Status}, {vm.StatusReason}, {vm.CpuCores}, {vm.MemoryMb},
                {vm.DiskGb}, {vm.ImageId}, {vm.RequiresGpu}, {vm.GpuCount}, {vm.Zone}, {System.Text.Json.JsonSerializer.Serialize(vm.Labels)}::jsonb,
                {vm.Runtime}, {vm.Command}, {vm.Scoring}, {vm.PowerState}, 0, {vm.Version}, 0,
                {vm.AccessUsername}, {vm.AccessSshPublicKey}, {vm.AccessPasswordHash}, {now}, {now}, {now})
            ON CONFLICT (id) DO NOTHING
            """, ct);
        if (inserted == 0)
        {
            log.LogInformation("CreateVm {VmId}: the VM already exists; nothing to do", m.VmId);
            await tx.CommitAsync(ct);
            return;
        }
        db.Publish(new VmRequested(vm.Id, vm.OrganizationId, vm.LeaseId, vm.Name, vm.Spec, now));
        if (failed)
        {
            db.Publish(new VmStateChanged(vm.Id, vm.OrganizationId, vm.LeaseId, null, VmStatus.Pending, VmStatus.Failed, vm.StatusReason, vm.Version, now));
            log.LogWarning("CreateVm {VmId} refused: {Reason}", m.VmId, vm.StatusReason);
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        signals.Placement.Notify();
    }

    private static Vm Refused(CreateVm m, Validator v, DateTimeOffset now)
    {
        var problem = v.Problem().ProblemDetails.Errors;
        var reason = "invalid spec: " + string.Join("; ", problem.Select(e => $"{e.Key} {string.Join(", ", e.Value)}"));
        return new Vm
        {
            Id = m.VmId,
            OrganizationId = m.OrganizationId,
            LeaseId = m.LeaseId,
            Name = VmRequests.Cut(m.Name ?? "", 63),
            Status = VmStatus.Failed,
            StatusReason = VmRequests.Cut(reason, 1000),
            CpuCores = m.Spec?.CpuCores ?? 0,
            MemoryMb = m.Spec?.MemoryMb ?? 0,
            DiskGb = m.Spec?.DiskGb ?? 0,
            ImageId = VmRequests.Cut(m.Spec?.ImageId ?? "", 64),
            PowerState = PowerStates.Running,
            Version = 2,
            QueuedAt = now,
            CreatedAt = now,
            UpdatedAt = now,
        };
    }
}

/// <summary>
/// Lease's DeleteVm, idempotent: deleting a deleting or deleted VM changes nothing. A DeleteVm that
/// arrives before its CreateVm (they travel on different queues) leaves a deleted tombstone, so the
/// late CreateVm does not bring the VM to life.
/// </summary>
public sealed class DeleteVmConsumer(SchedulerDbContext db, VmOperations operations, TimeProvider time, ILogger<DeleteVmConsumer> log) : IConsumer<DeleteVm>
{
    public async Task Consume(ConsumeContext<DeleteVm> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var vm = await operations.LockAsync(m.VmId, ct);
        if (vm is null)
        {
            var now = time.GetUtcNow();
            var inserted = await db.Database.ExecuteSqlAsync($"""
                INSERT INTO vms (id, organization_id, name, status, status_reason, cpu_cores, memory_mb, disk_gb, image_id, requires_gpu, gpu_count,
                    labels, power_state, generation, version, desired_version, queued_at, created_at, updated_at)
                VALUES ({m.VmId}, {m.OrganizationId}, '', 'deleted', {VmRequests.Cut(m.Reason ?? "deleted", 1000)}, 0, 0, 0, '', false, 0, {"{}"}::jsonb, 'stopped', 0, 1, 0, {now}, {now}, {now})
                ON CONFLICT (id) DO NOTHING
                """, ct);
            if (inserted > 0)
            {
                db.Publish(new VmDeleted(m.VmId, m.OrganizationId, null, null, now));
                log.LogInformation("DeleteVm {VmId} arrived before the VM existed; it will not be created", m.VmId);
            }
            else
            {
                // Its CreateVm committed meanwhile (on another replica or consumer: the insert waited for it
                // and lost); that VM is the one to delete, or it would run past its lease.
                vm = await operations.LockAsync(m.VmId, ct);
            }
        }
        if (vm is not null && vm.OrganizationId != m.OrganizationId)
            log.LogWarning("DeleteVm {VmId} names organisation {Organization}, but the VM belongs to another; ignored", m.VmId, m.OrganizationId);
        else if (vm is not null)
            await operations.DeleteAsync(vm, m.Reason ?? "deleted by lease", ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }
}
