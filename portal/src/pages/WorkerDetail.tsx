import { useEffect, useState } from "preact/hooks";
import { ApiError, api } from "../api";
import { PercentChart } from "../components/Chart";
import { CopyButton, ErrorMessage, Link, PageTitle, Status, useAsync, useDebounced } from "../components/ui";
import { formatDateTime, formatMemory, formatPercent } from "../format";
import { live, onLiveEvent, upsertWorker } from "../live";
import { useStore } from "../store";
import type { MetricPoint, Worker, WorkerToken } from "../types";

/** How often figures the stream does not carry (usage, metrics, VMs) are read again while the page is open. */
const refreshMs = 10_000;

/** The controller the install script points at (the gateway's public URL), else where this page came from. */
function controllerOf(script: string): string {
  return /^CONTROLLER='([^']+)'/m.exec(script)?.[1] ?? window.location.origin;
}

/**
 * Runs the agent in the foreground from the current directory: download the package with the worker token,
 * unpack it, start it. The token goes by environment, as the install script passes it (not visible in ps).
 */
export function runCommand(controller: string, token: string): string {
  return [
    "mkdir -p aetherium-agent",
    `curl -fsSL -H 'Authorization: Bearer ${token}' '${controller}/api/v1/agent/package' | tar -xz -C aetherium-agent`,
    `AETHERIUM_TOKEN='${token}' dotnet aetherium-agent/aetherium-agent.dll run --controller '${controller}'`,
  ].join(" && \\\n  ");
}

function Install({ worker }: { worker: Worker }) {
  const [issued, setIssued] = useState<WorkerToken | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const issue = async () => {
    setBusy(true);
    setError(null);
    try {
      setIssued(await api<WorkerToken>("POST", `/api/v1/workers/${worker.id}/token`, {}));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const run = issued && runCommand(controllerOf(issued.install_script), issued.token);
  return (
    <section class="panel" aria-labelledby="install-title">
      <h2 id="install-title">Install the agent</h2>
      {!issued ? (
        <>
          <p>
            {worker.status === "pending"
              ? "Run the agent on the machine to enrol it: it needs .NET 10 (dotnet), curl and tar."
              : "A new token for this worker, e.g. to reinstall its agent. Tokens already given out stay valid until revoked (aetherium workers tokens)."}
            {" "}Each click mints a new token: it is shown once, with its install command, and never stored in clear.
          </p>
          <button type="button" onClick={issue} disabled={busy}>{busy ? "Minting a token…" : "Mint a token and show the install command"}</button>
        </>
      ) : (
        <>
          <p class="warning">These commands carry a token for this worker, valid until {formatDateTime(issued.expires_at)}. It is shown only now.</p>
          <h3 id="run-title">Run it now (foreground)</h3>
          <pre aria-labelledby="run-title"><code data-command="run">{run}</code></pre>
          <CopyButton text={run!} label="Copy run command" />
          <details>
            <summary>Or install it as a service (Linux with systemd, as root)</summary>
            <pre><code data-command="install">{issued.install_script}</code></pre>
            <CopyButton text={issued.install_script} label="Copy install script" />
          </details>
        </>
      )}
      <ErrorMessage error={error} />
    </section>
  );
}

function Lifecycle({ worker }: { worker: Worker }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState("");
  const act = async (action: "drain" | "activate") => {
    setBusy(true);
    setError(null);
    try {
      const answer = await api<{ status: string; message: string }>("POST", `/api/v1/workers/${worker.id}/${action}`, action === "drain" ? {} : undefined);
      setMessage(answer.message);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="actions">
      {worker.status === "active" && (
        <button type="button" onClick={() => act("drain")} disabled={busy}>Drain</button>
      )}
      {(worker.status === "draining" || worker.status === "maintenance") && (
        <button type="button" onClick={() => act("activate")} disabled={busy}>Activate</button>
      )}
      <span role="status">{message}</span>
      <ErrorMessage error={error} />
    </div>
  );
}

function Metrics({ workerId }: { workerId: string }) {
  const metrics = useAsync(
    () => api<{ samples: MetricPoint[] }>("GET", `/api/v1/workers/${workerId}/metrics?from=${encodeURIComponent(new Date(Date.now() - 3600_000).toISOString())}`),
    [workerId],
  );
  useEffect(() => {
    const timer = setInterval(metrics.reload, refreshMs);
    return () => clearInterval(timer);
  }, [metrics.reload]);
  const samples = metrics.data?.samples ?? [];
  return (
    <section class="panel" aria-labelledby="metrics-title">
      <h2 id="metrics-title">Usage, last hour</h2>
      <PercentChart id="usage" title="CPU, memory and disk usage (%)" times={samples.map((s) => s.timestamp)} series={[
        { name: "CPU", className: "cpu", values: samples.map((s) => s.cpu_usage_percent) },
        { name: "Memory", className: "memory", values: samples.map((s) => s.memory_usage_percent) },
        { name: "Disk", className: "disk", values: samples.map((s) => s.disk_usage_percent) },
      ]} />
      <ErrorMessage error={metrics.error} />
    </section>
  );
}

function WorkerVms({ workerId }: { workerId: string }) {
  const vms = useAsync(() => api<{ vms: { id: string; name: string; status: string; vcpus: number; memory_mb: number }[] }>("GET", `/api/v1/workers/${workerId}/vms`), [workerId]);
  useEffect(() => {
    const timer = setInterval(vms.reload, refreshMs);
    return () => clearInterval(timer);
  }, [vms.reload]);
  const list = vms.data?.vms ?? [];
  return (
    <section class="panel" aria-labelledby="vms-title">
      <h2 id="vms-title">VMs on this machine</h2>
      {list.length === 0 ? <p class="muted">None.</p> : (
        <table>
          <thead><tr><th scope="col">VM</th><th scope="col">State</th><th scope="col">Size</th></tr></thead>
          <tbody>
            {list.map((v) => (
              <tr key={v.id}><td>{v.name}</td><td><Status value={v.status} /></td><td>{v.vcpus} vCPU, {formatMemory(v.memory_mb)}</td></tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function WorkerDetail({ id }: { id: string }) {
  const state = useStore(live);
  const fetched = useAsync(() => api<Worker>("GET", `/api/v1/workers/${id}`), [id]);
  useEffect(() => {
    if (fetched.data) upsertWorker(fetched.data);
  }, [fetched.data]);
  // Events carry the worker's state; usage figures and facts are read again when it changes, and now and then.
  const reread = useDebounced(fetched.reload, 300);
  useEffect(() => onLiveEvent((e) => {
    const snapshot = e.data.worker as { worker_id?: string } | undefined;
    if (snapshot?.worker_id === id) reread();
  }), [id, reread]);
  useEffect(() => {
    const timer = setInterval(fetched.reload, refreshMs);
    return () => clearInterval(timer);
  }, [fetched.reload]);

  const worker = state.workers.get(id) ?? fetched.data;
  if (!worker) {
    const missing = fetched.error instanceof ApiError && fetched.error.status === 404;
    return (
      <>
        <PageTitle title="Worker">{missing ? "No such worker" : "Worker"}</PageTitle>
        {missing ? <p>It does not exist, or it is not yours. <Link href="/workers">All workers</Link></p> : <ErrorMessage error={fetched.error} />}
      </>
    );
  }
  return (
    <>
      <p class="breadcrumb"><Link href="/workers">Workers</Link> / {worker.name}</p>
      <PageTitle title={worker.name}>
        {worker.name} <Status value={worker.status} reason={worker.status_reason} />
      </PageTitle>
      {worker.status_reason && <p class="muted">{worker.status_reason}</p>}
      <Lifecycle worker={worker} />
      <dl class="facts panel">
        <dt>Zone</dt><dd>{worker.zone}</dd>
        <dt>Host</dt><dd>{worker.hostname ?? "—"} {worker.address && <code>{worker.address}</code>}</dd>
        <dt>CPU</dt><dd>{worker.cpu_cores ? `${worker.cpu_cores} cores${worker.cpu_model ? `, ${worker.cpu_model}` : ""}; ${worker.used_cpu_cores ?? 0} rented; ${formatPercent(worker.cpu_usage_percent)} busy` : "—"}</dd>
        <dt>Memory</dt><dd>{worker.memory_mb ? `${formatMemory(worker.memory_mb)}; ${formatMemory(worker.used_memory_mb ?? 0)} rented; ${formatPercent(worker.memory_usage_percent)} used` : "—"}</dd>
        <dt>Disk</dt><dd>{worker.disk_gb ? `${worker.disk_gb} GB` : "—"}</dd>
        <dt>VMs</dt><dd>{worker.vm_count ?? 0} of at most {worker.max_vms}</dd>
        <dt>Runtimes</dt><dd>{worker.capabilities?.join(", ") || "—"}</dd>
        <dt>Agent</dt><dd>{worker.agent_version ?? "—"}{worker.os ? ` on ${worker.os}` : ""}</dd>
        <dt>Last seen</dt><dd>{formatDateTime(worker.last_seen)} {worker.uptime && worker.uptime !== "0s" && <span class="muted">(up {worker.uptime})</span>}</dd>
      </dl>
      <Install worker={worker} />
      <Metrics workerId={id} />
      <WorkerVms workerId={id} />
    </>
  );
}
