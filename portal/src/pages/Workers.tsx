import { useMemo, useState } from "preact/hooks";
import { api } from "../api";
import { ErrorMessage, Field, Link, PageTitle, Status, fieldErrors } from "../components/ui";
import { formatMemory } from "../format";
import { live, upsertWorker } from "../live";
import { navigate } from "../router";
import { useStore } from "../store";
import type { Worker } from "../types";

function CreateWorker() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(null);
    try {
      const zone = String(form.get("zone") ?? "").trim();
      const worker = await api<Worker>("POST", "/api/v1/workers", { name: String(form.get("name") ?? "").trim(), zone: zone || undefined });
      upsertWorker(worker);
      navigate(`/workers/${worker.id}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  const errors = fieldErrors(error);
  return (
    <form class="panel" onSubmit={submit} aria-labelledby="create-title">
      <h2 id="create-title">Add a machine</h2>
      <p class="muted">A new worker waits (pending) until the agent runs on your machine with the command shown next.</p>
      <div class="row">
        <Field label="Name" name="name" required errors={errors} />
        <Field label="Zone (optional)" name="zone" pattern="[a-z0-9-]{1,63}" hint="Lower-case letters, digits or '-', e.g. eu-west-1" errors={errors} />
      </div>
      <ErrorMessage error={error} />
      <button type="submit" disabled={busy}>{busy ? "Creating…" : "Create worker"}</button>
    </form>
  );
}

export function WorkerRows({ workers }: { workers: Worker[] }) {
  return (
    <table class="workers">
      <thead>
        <tr>
          <th scope="col">Name</th><th scope="col">Zone</th><th scope="col">State</th><th scope="col">CPU</th>
          <th scope="col">Memory</th><th scope="col">VMs</th><th scope="col">Host</th>
        </tr>
      </thead>
      <tbody>
        {workers.map((w) => (
          <tr key={w.id} data-worker-id={w.id}>
            <td><Link href={`/workers/${w.id}`}>{w.name}</Link></td>
            <td>{w.zone}</td>
            <td><Status value={w.status} reason={w.status_reason} /></td>
            <td>{w.cpu_cores ? `${w.used_cpu_cores ?? 0} / ${w.cpu_cores} cores` : "—"}</td>
            <td>{w.memory_mb ? `${formatMemory(w.used_memory_mb ?? 0)} / ${formatMemory(w.memory_mb)}` : "—"}</td>
            <td>{w.vm_count ?? 0} / {w.max_vms}</td>
            <td>{w.hostname ?? "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Workers() {
  const state = useStore(live);
  const workers = useMemo(() => [...state.workers.values()].sort((a, b) => a.name.localeCompare(b.name)), [state]);
  return (
    <>
      <PageTitle title="Workers">Workers</PageTitle>
      <CreateWorker />
      <section aria-labelledby="workers-title">
        <h2 id="workers-title">Machines</h2>
        {workers.length === 0 ? (
          <p class="muted">{state.status === "live" ? "No workers yet: add a machine above." : "Loading…"}</p>
        ) : (
          <WorkerRows workers={workers} />
        )}
      </section>
    </>
  );
}
