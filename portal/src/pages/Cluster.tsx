import { useEffect } from "preact/hooks";
import { api } from "../api";
import { ErrorMessage, Link, PageTitle, Status, useAsync, useDebounced } from "../components/ui";
import { formatDateTime, formatMemory, formatPercent } from "../format";
import { onLiveEvent } from "../live";
import type { ClusterStats, DistributionEntry, Worker } from "../types";

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

function Stat({ label, value, detail }: { label: string; value: string | number; detail?: string }) {
  return (
    <div class="stat">
      <dt>{label}</dt>
      <dd>
        <span class="value">{value}</span>
        {detail && <span class="muted"> {detail}</span>}
      </dd>
    </div>
  );
}

function Stats({ stats }: { stats: ClusterStats }) {
  return (
    <section aria-labelledby="stats-title">
      <h2 id="stats-title">Capacity</h2>
      <dl class="stats" data-total-workers={stats.total_workers}>
        <Stat label="Workers" value={stats.total_workers} detail={`${stats.active_workers} active, ${stats.draining_workers} draining, ${stats.offline_workers} offline`} />
        <Stat label="CPU cores rented" value={`${stats.used_cpu_cores} / ${stats.total_cpu_cores}`} detail={`${formatPercent(stats.cluster_cpu_usage_percent)} busy`} />
        <Stat label="Memory rented" value={`${formatMemory(stats.used_memory_mb)} / ${formatMemory(stats.total_memory_mb)}`} detail={`${formatPercent(stats.cluster_memory_usage_percent)} used`} />
        <Stat label="VMs" value={`${stats.total_vms} / ${stats.max_vms}`} detail={`${stats.available_vm_slots} slots free`} />
      </dl>
    </section>
  );
}

function Zones({ entries, zones }: { entries: DistributionEntry[]; zones: Record<string, number> }) {
  const byZone = new Map<string, DistributionEntry[]>();
  for (const e of entries) byZone.set(e.zone, [...(byZone.get(e.zone) ?? []), e]);
  const names = [...new Set([...Object.keys(zones), ...byZone.keys()])].sort();
  return (
    <section aria-labelledby="zones-title">
      <h2 id="zones-title">Distribution by zone</h2>
      {names.length === 0 && <p class="muted">No workers yet.</p>}
      {names.map((zone) => {
        const workers = byZone.get(zone) ?? [];
        const vms = workers.reduce((n, w) => n + w.vm_count, 0);
        return (
          <article key={zone} class="panel zone" aria-labelledby={`zone-${zone}`} data-zone={zone}>
            <h3 id={`zone-${zone}`}>{zone}</h3>
            <p class="muted">{plural(workers.length, "worker")}, {plural(vms, "VM")}</p>
            <table>
              <thead><tr><th scope="col">Worker</th><th scope="col">Host</th><th scope="col">State</th><th scope="col">VMs</th></tr></thead>
              <tbody>
                {workers.map((w) => (
                  <tr key={w.worker_id} data-worker-id={w.worker_id}>
                    <td><Link href={`/workers/${w.worker_id}`}>{w.name}</Link></td>
                    <td>{w.hostname ?? "—"}</td>
                    <td><Status value={w.status} /></td>
                    <td>{w.vm_count}{w.vms.length > 0 && <span class="muted"> ({w.vms.map((v) => v.name).join(", ")})</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </article>
        );
      })}
    </section>
  );
}

function Offline({ workers }: { workers: Worker[] }) {
  return (
    <section aria-labelledby="offline-title">
      <h2 id="offline-title">Offline workers</h2>
      {workers.length === 0 ? <p class="muted">None: every enrolled worker is heartbeating.</p> : (
        <table class="offline">
          <thead><tr><th scope="col">Worker</th><th scope="col">Zone</th><th scope="col">Host</th><th scope="col">Last seen</th><th scope="col">Why</th></tr></thead>
          <tbody>
            {workers.map((w) => (
              <tr key={w.id} data-worker-id={w.id}>
                <td><Link href={`/workers/${w.id}`}>{w.name}</Link></td>
                <td>{w.zone}</td>
                <td>{w.hostname ?? "—"}</td>
                <td>{formatDateTime(w.last_seen)}</td>
                <td>{w.status_reason ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The admin's view of the whole fleet: capacity, where workers and VMs are, which workers went quiet. */
export function Cluster() {
  const data = useAsync(async () => {
    const [stats, distribution, offline] = await Promise.all([
      api<ClusterStats>("GET", "/api/v1/cluster/stats"),
      api<{ distribution: DistributionEntry[] }>("GET", "/api/v1/cluster/distribution"),
      api<{ workers: Worker[] }>("GET", "/api/v1/workers?status=offline&limit=500"),
    ]);
    return { stats, distribution: distribution.distribution, offline: offline.workers };
  }, []);
  // The figures are aggregates the events do not carry: read again after a burst of worker or VM events.
  const reread = useDebounced(data.reload, 1000);
  useEffect(() => onLiveEvent((e) => {
    if (e.type.startsWith("worker.") || e.type.startsWith("vm.")) reread();
  }), [reread]);
  // Usage percentages move with heartbeats, which are not events.
  useEffect(() => {
    const timer = setInterval(data.reload, 15_000);
    return () => clearInterval(timer);
  }, [data.reload]);
  return (
    <>
      <PageTitle title="Cluster">Cluster</PageTitle>
      <ErrorMessage error={data.error} />
      {data.data ? (
        <>
          <Stats stats={data.data.stats} />
          <Offline workers={data.data.offline} />
          <Zones entries={data.data.distribution} zones={data.data.stats.zones} />
        </>
      ) : !data.error && <p class="muted">Loading…</p>}
    </>
  );
}
