import { accessToken, api, refresh, session } from "./api";
import { Store } from "./store";
import type { Lease, LiveEvent, LiveSnapshot, Vm, Worker } from "./types";

// The gateway's live stream (GET /api/v1/events, server-sent events): a snapshot of what the caller may see,
// then one message per change. The portal keeps that state here and every page renders from it, so what a
// page shows moves on its own, without reloads or polling.

export type LiveStatus = "off" | "connecting" | "live" | "reconnecting";

export interface LiveState {
  status: LiveStatus;
  workers: Map<string, Worker>;
  vms: Map<string, Vm>;
  leases: Map<string, Lease>;
  /** When the current snapshot was taken (ISO); null before the first. */
  snapshotAt: string | null;
}

export const live = new Store<LiveState>({ status: "off", workers: new Map(), vms: new Map(), leases: new Map(), snapshotAt: null });

const eventTypes = [
  "worker.created", "worker.registered", "worker.status_changed", "worker.capacity_changed", "worker.deleted",
  "vm.requested", "vm.scheduled", "vm.unschedulable", "vm.state_changed", "vm.migrated", "vm.deleted",
  "lease.created", "lease.extended", "lease.released", "lease.expired",
];

const eventListeners = new Set<(event: LiveEvent) => void>();

/** Called for every event after it was applied (pages that show figures the events do not carry re-read them). */
export function onLiveEvent(listener: (event: LiveEvent) => void): () => void {
  eventListeners.add(listener);
  return () => eventListeners.delete(listener);
}

// Maps are changed in place; one notification per burst of events keeps rendering cheap.
let emitQueued = false;
function changed(patch: Partial<LiveState> = {}) {
  Object.assign(live.get(), patch);
  if (emitQueued) return;
  emitQueued = true;
  setTimeout(() => {
    emitQueued = false;
    live.set({ ...live.get() });
  }, 0);
}

let source: EventSource | null = null;
/** Between deciding to open a stream and having one: a token refresh meanwhile must not open a second. */
let opening = false;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let retryDelay = 1000;

/** Opens the stream for the signed-in user (again after any failure, with backoff); closes it on sign-out. */
export function startLive(): void {
  session.subscribe(() => {
    if (!session.get()) stopLive();
    else if (!source && !opening && retryTimer === undefined) void open();
  });
  if (session.get()) void open();
}

function stopLive() {
  source?.close();
  source = null;
  clearTimeout(retryTimer);
  retryTimer = undefined;
  const state = live.get();
  state.workers.clear();
  state.vms.clear();
  state.leases.clear();
  loadedWithoutStream = false;
  changed({ status: "off", snapshotAt: null });
}

async function open() {
  retryTimer = undefined;
  opening = true;
  const token = await accessToken().finally(() => (opening = false));
  if (!token || source) return;
  changed({ status: live.get().status === "live" ? "reconnecting" : "connecting" });
  // EventSource cannot set headers: the token goes in the query, as the contract allows.
  const es = new EventSource(`/api/v1/events?access_token=${encodeURIComponent(token)}`);
  source = es;
  let snapshotSeen = false;
  es.addEventListener("snapshot", (e) => {
    snapshotSeen = true;
    retryDelay = 1000;
    applySnapshot(JSON.parse((e as MessageEvent<string>).data) as LiveSnapshot);
  });
  for (const type of eventTypes)
    es.addEventListener(type, (e) => applyEvent(JSON.parse((e as MessageEvent<string>).data) as LiveEvent));
  es.onerror = () => {
    if (source !== es) return;
    if (es.readyState !== EventSource.CLOSED) {
      // The browser reconnects by itself; the server starts again with a fresh snapshot.
      changed({ status: "reconnecting" });
      return;
    }
    // Refused (401 after the token expired, or the gateway restarting): new tokens, then a new stream.
    es.close();
    source = null;
    changed({ status: "reconnecting" });
    const delay = retryDelay * (0.75 + Math.random() / 2);
    retryDelay = Math.min(retryDelay * 2, 30_000);
    // Meanwhile the pages show what the API answers now, so they are usable, only not live.
    if (!snapshotSeen) void loadWithoutStream();
    retryTimer = setTimeout(async () => {
      if (!snapshotSeen) await refresh();
      if (session.get()) void open();
      else retryTimer = undefined;
    }, delay);
  };
}

let loadedWithoutStream = false;
async function loadWithoutStream() {
  if (loadedWithoutStream) return;
  loadedWithoutStream = true;
  try {
    const [workers, vms, leases] = await Promise.all([
      api<{ workers: Worker[] }>("GET", "/api/v1/workers?limit=500"),
      api<{ vms: Vm[] }>("GET", "/api/v1/vms?limit=500"),
      api<{ leases: Lease[] }>("GET", "/api/v1/leases?limit=100"),
    ]);
    if (live.get().status === "live" || !session.get()) return; // the stream came back first
    applySnapshot({ workers: workers.workers, vms: vms.vms, leases: leases.leases, at: new Date().toISOString() }, "reconnecting");
  } catch {
    loadedWithoutStream = false;
  }
}

function applySnapshot(snapshot: LiveSnapshot, status: LiveStatus = "live") {
  const state = live.get();
  state.workers = new Map(snapshot.workers.map((w) => [w.id, w]));
  state.vms = new Map(snapshot.vms.filter((v) => v.status !== "deleted").map((v) => [v.id, v]));
  state.leases = new Map(snapshot.leases.map((l) => [l.id, l]));
  changed({ status, snapshotAt: snapshot.at });
  if (status === "live") loadedWithoutStream = false;
}

type Data = Record<string, unknown>;
const str = (d: Data, key: string) => (typeof d[key] === "string" ? (d[key] as string) : undefined);
const num = (d: Data, key: string) => (typeof d[key] === "number" ? (d[key] as number) : undefined);

export function applyEvent(event: LiveEvent): void {
  const [kind] = event.type.split(".");
  if (kind === "worker") applyWorker(event);
  else if (kind === "vm") applyVm(event);
  else if (kind === "lease") applyLease(event);
  changed();
  for (const listener of [...eventListeners]) listener(event);
}

/** Worker events carry the worker's versioned snapshot (WorkerSnapshot in services/Contracts). */
function applyWorker(event: LiveEvent) {
  const snapshot = (event.data.worker ?? {}) as Data;
  const id = str(snapshot, "worker_id") ?? str(event.data, "worker_id");
  if (!id) return;
  const workers = live.get().workers;
  if (event.type === "worker.deleted") {
    workers.delete(id);
    return;
  }
  const current = workers.get(id);
  const version = num(snapshot, "version");
  if (current?.version !== undefined && version !== undefined && version < current.version) return; // older than what is shown
  workers.set(id, {
    ...(current ?? { cpu_cores: 0, memory_mb: 0, disk_gb: 0, max_vms: 0 }),
    id,
    name: str(snapshot, "name") ?? current?.name ?? id,
    organization_id: str(snapshot, "organization_id") ?? event.organization_id,
    hostname: str(snapshot, "hostname") ?? current?.hostname,
    address: str(snapshot, "address") ?? current?.address,
    zone: str(snapshot, "zone") ?? current?.zone ?? "",
    status: str(event.data, "new_status") ?? str(snapshot, "status") ?? current?.status ?? "pending",
    status_reason: event.type === "worker.status_changed" ? str(event.data, "reason") ?? null : current?.status_reason,
    labels: (snapshot.labels as Record<string, string>) ?? current?.labels,
    capabilities: (snapshot.runtimes as string[]) ?? current?.capabilities,
    cpu_cores: num(snapshot, "cpu_cores") ?? current?.cpu_cores ?? 0,
    memory_mb: num(snapshot, "memory_mb") ?? current?.memory_mb ?? 0,
    disk_gb: num(snapshot, "disk_gb") ?? current?.disk_gb ?? 0,
    max_vms: num(snapshot, "max_vms") ?? current?.max_vms ?? 0,
    version: version ?? current?.version,
  });
}

function applyVm(event: LiveEvent) {
  const d = event.data;
  const id = str(d, "vm_id");
  if (!id) return;
  const vms = live.get().vms;
  const current = vms.get(id);
  if (event.type === "vm.deleted") {
    vms.delete(id);
    setLeaseVmStatus(str(d, "lease_id") ?? current?.lease_id, id, "deleted");
    return;
  }
  const vm: Vm = current ?? {
    id, name: str(d, "name") ?? id.slice(0, 8), status: "pending",
    organization_id: event.organization_id, lease_id: str(d, "lease_id") ?? null, created_at: event.occurred_at,
  };
  switch (event.type) {
    case "vm.requested":
      if (d.spec) vm.spec = d.spec as Vm["spec"];
      break;
    case "vm.scheduled":
      vm.worker_id = str(d, "worker_id") ?? vm.worker_id;
      if (vm.status === "pending" || vm.status === "unschedulable") vm.status = "scheduled";
      break;
    case "vm.unschedulable":
      vm.status = "unschedulable";
      vm.status_reason = str(d, "reason") ?? null;
      break;
    case "vm.state_changed": {
      const version = num(d, "version");
      if (vm.version !== undefined && version !== undefined && version < vm.version) return;
      vm.status = str(d, "status") ?? str(d, "new_status") ?? vm.status;
      vm.status_reason = str(d, "reason") ?? null;
      vm.worker_id = str(d, "worker_id") ?? vm.worker_id;
      vm.address = str(d, "worker_address") ?? str(d, "address") ?? vm.address;
      vm.port = num(d, "port") ?? vm.port;
      vm.version = version ?? vm.version;
      break;
    }
    case "vm.migrated":
      vm.worker_id = str(d, "to_worker_id") ?? vm.worker_id;
      break;
  }
  if (vm.status === "deleted") vms.delete(id);
  else vms.set(id, vm);
  setLeaseVmStatus(vm.lease_id, id, vm.status);
  if (!current && event.type !== "vm.requested") void refetch(`vm:${id}`, () => api<Vm>("GET", `/api/v1/vms/${id}`), (fresh) => {
    const shown = live.get().vms.get(id);
    // What the events set since is newer than the read; the read fills in the rest (name, spec).
    if (shown) live.get().vms.set(id, { ...fresh, ...defined(shown), name: fresh.name, spec: fresh.spec });
  });
}

function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A lease's copy of its VMs' states follows the scheduler's, so a lease shows the same state as its VMs. */
function setLeaseVmStatus(leaseId: string | null | undefined, vmId: string, status: string) {
  const lease = leaseId ? live.get().leases.get(leaseId) : undefined;
  const vm = lease?.vms.find((v) => v.id === vmId);
  if (vm) vm.status = status;
}

function applyLease(event: LiveEvent) {
  const d = event.data;
  const id = str(d, "lease_id");
  if (!id) return;
  const leases = live.get().leases;
  const current = leases.get(id);
  switch (event.type) {
    case "lease.created":
      if (!current)
        leases.set(id, {
          id, status: "active", organization_id: event.organization_id,
          vms: ((d.vm_ids as string[]) ?? []).map((vm) => ({ id: vm, name: live.get().vms.get(vm)?.name ?? "", status: live.get().vms.get(vm)?.status ?? "pending" })),
          leased_from: str(d, "leased_from") ?? event.occurred_at, leased_until: str(d, "leased_until") ?? event.occurred_at,
          created_at: event.occurred_at,
        });
      break;
    case "lease.extended":
      if (current) current.leased_until = str(d, "new_end") ?? current.leased_until;
      break;
    case "lease.released":
    case "lease.expired":
      if (current) {
        current.status = event.type === "lease.released" ? "released" : "expired";
        current.ended_at = event.occurred_at;
      }
      break;
  }
  // Events do not carry cost or names: the lease itself is read again.
  void refetch(`lease:${id}`, () => api<Lease>("GET", `/api/v1/leases/${id}`), (fresh) => {
    const shown = live.get().leases.get(id);
    // VM states come from the scheduler's events, which may be newer than the lease service's copy.
    const vms = fresh.vms.map((v) => ({ ...v, status: live.get().vms.get(v.id)?.status ?? (shown?.vms.find((s) => s.id === v.id)?.status === "deleted" ? "deleted" : v.status) }));
    live.get().leases.set(id, { ...fresh, vms });
  });
}

// A read started before a later event may answer with state older than that event: such answers are
// dropped, and the later event's own read applies instead.
const generations = new Map<string, number>();
async function refetch<T>(key: string, read: () => Promise<T>, apply: (value: T) => void) {
  const generation = (generations.get(key) ?? 0) + 1;
  generations.set(key, generation);
  try {
    const value = await read();
    if (generations.get(key) !== generation || !session.get()) return;
    apply(value);
    changed();
  } catch {
    // gone, or not visible to this user: the events already applied stand
  }
}

/** What the user's own request answered (a rent, an extension) is shown at once; the events then keep it current. */
export function upsertLease(lease: Lease): void {
  const current = live.get().leases.get(lease.id);
  live.get().leases.set(lease.id, current ? { ...current, ...defined(lease) } : lease);
  changed();
}

export function upsertWorker(worker: Worker): void {
  const current = live.get().workers.get(worker.id);
  if (current?.version !== undefined && worker.version !== undefined && worker.version < current.version) return;
  live.get().workers.set(worker.id, current ? { ...current, ...defined(worker) } : worker);
  changed();
}
