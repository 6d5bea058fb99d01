import { useMemo, useState } from "preact/hooks";
import { api } from "../api";
import { ErrorMessage, Field, PageTitle, Status, fieldErrors, useAsync } from "../components/ui";
import { formatDateTime, formatMemory, formatMoney, formatRelative } from "../format";
import { live, upsertLease } from "../live";
import { useStore } from "../store";
import type { Image, Lease, LeaseAccess, PricingTier, Vm } from "../types";

interface RentForm {
  count: number;
  cpu_cores: number;
  memory_mb: number;
  disk_gb: number;
  image_id: string;
  hours: number;
}

/** The lease service's formula (services/Lease/Pricing/Costs.cs), to show the price before renting. */
function estimate(tier: PricingTier | undefined, f: RentForm): number | undefined {
  if (!tier || !(f.hours > 0) || !(f.count > 0)) return undefined;
  const hourly = f.count * (f.cpu_cores * tier.price_per_vcpu_hour + (f.memory_mb / 1024) * tier.price_per_gb_memory_hour
    + f.disk_gb * tier.price_per_gb_disk_hour);
  return hourly * f.hours;
}

function Rent({ onRented }: { onRented: (lease: Lease) => void }) {
  const images = useAsync(() => api<{ images: Image[] }>("GET", "/api/v1/images"), []);
  const pricing = useAsync(() => api<{ tiers: PricingTier[] }>("GET", "/api/v1/pricing"), []);
  const [form, setForm] = useState<RentForm>({ count: 1, cpu_cores: 1, memory_mb: 1024, disk_gb: 10, image_id: "ubuntu-24.04", hours: 1 });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const set = (key: keyof RentForm) => (e: Event) => {
    const input = e.currentTarget as HTMLInputElement | HTMLSelectElement;
    setForm({ ...form, [key]: key === "image_id" ? input.value : Number(input.value) });
  };
  const tier = pricing.data?.tiers.find((t) => t.id === "standard");
  const cost = estimate(tier, form);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const lease = await api<Lease>("POST", "/api/v1/leases", {
        duration_hours: form.hours,
        count: form.count,
        spec: { cpu_cores: form.cpu_cores, memory_mb: form.memory_mb, disk_gb: form.disk_gb, image_id: form.image_id },
      });
      onRented(lease);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const errors = fieldErrors(error);
  return (
    <form class="panel rent" onSubmit={submit} aria-labelledby="rent-title">
      <h2 id="rent-title">Rent VMs</h2>
      <div class="row">
        <Field label="Number of VMs" name="count" type="number" min={1} max={100} required value={form.count} onInput={set("count")} errors={errors} />
        <Field label="CPU cores each" name="spec.cpu_cores" type="number" min={1} max={128} required value={form.cpu_cores} onInput={set("cpu_cores")} errors={errors} />
        <Field label="Memory each (MiB)" name="spec.memory_mb" type="number" min={128} step={128} required value={form.memory_mb} onInput={set("memory_mb")} errors={errors} />
        <Field label="Disk each (GB)" name="spec.disk_gb" type="number" min={1} required value={form.disk_gb} onInput={set("disk_gb")} errors={errors} />
        <div class="field">
          <label for="field-image">Image</label>
          <select id="field-image" name="spec.image_id" value={form.image_id} onChange={set("image_id")}>
            {(images.data?.images ?? [{ id: form.image_id, name: form.image_id } as Image]).map((i) => (
              <option key={i.id} value={i.id}>{i.name}</option>
            ))}
          </select>
        </div>
        <Field label="Duration (hours)" name="duration_hours" type="number" min={0.01} step="any" required value={form.hours} onInput={set("hours")}
          hint="Fractions allowed: 0.5 is half an hour" errors={errors} />
      </div>
      <p class="estimate" aria-live="polite">
        Estimated cost: <strong>{formatMoney(cost, tier?.currency)}</strong>
        {tier && <span class="muted"> ({tier.name} tier)</span>}
      </p>
      <ErrorMessage error={error} />
      <button type="submit" disabled={busy}>{busy ? "Renting…" : "Rent"}</button>
    </form>
  );
}

function Extend({ lease }: { lease: Lease }) {
  const [hours, setHours] = useState(1);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await api<{ new_end_at: string; total_cost: number; currency: string }>(
        "POST", `/api/v1/leases/${lease.id}/extend`, { additional_hours: hours });
      upsertLease({ ...lease, leased_until: answer.new_end_at, cost: lease.cost && { ...lease.cost, total: answer.total_cost, reserved: answer.total_cost } });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const id = `extend-${lease.id}`;
  return (
    <form class="inline" onSubmit={submit}>
      <label for={id}>Extend by (hours)</label>
      <input id={id} type="number" min={0.01} step="any" required value={hours} onInput={(e) => setHours(Number(e.currentTarget.value))} />
      <button type="submit" disabled={busy}>Extend</button>
      <ErrorMessage error={error} />
    </form>
  );
}

function Release({ lease }: { lease: Lease }) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const release = async () => {
    setError(null);
    try {
      const answer = await api<{ ended_at: string; cost?: Lease["cost"] }>("POST", `/api/v1/leases/${lease.id}/release`);
      // The answer says what was charged for the time used and what was not.
      upsertLease({ ...lease, status: "released", ended_at: answer.ended_at, cost: answer.cost ?? lease.cost });
    } catch (err) {
      setError(err);
    }
    setConfirming(false);
  };
  return (
    <div class="inline">
      {confirming ? (
        <>
          <span>Release now and delete its VMs?</span>
          <button type="button" class="danger" onClick={release}>Yes, release</button>
          <button type="button" onClick={() => setConfirming(false)}>Keep it</button>
        </>
      ) : (
        <button type="button" class="danger" onClick={() => setConfirming(true)}>Release…</button>
      )}
      <ErrorMessage error={error} />
    </div>
  );
}

function LeaseCard({ lease, vms, access }: { lease: Lease; vms: Map<string, Vm>; access?: LeaseAccess[] }) {
  const titleId = `lease-${lease.id}`;
  const active = lease.status === "active";
  return (
    <article class="panel lease" aria-labelledby={titleId} data-lease-id={lease.id} data-status={lease.status}>
      <header>
        <h3 id={titleId}>{lease.name ?? lease.id.slice(0, 8)}</h3>
        <Status value={lease.status} />
      </header>
      <dl class="facts">
        <dt>From</dt><dd>{formatDateTime(lease.leased_from)}</dd>
        <dt>Until</dt>
        <dd data-field="leased_until" data-value={lease.leased_until}>
          {formatDateTime(lease.leased_until)} {active && <span class="muted">({formatRelative(lease.leased_until)})</span>}
        </dd>
        <dt>Cost</dt>
        <dd data-field="cost" data-value={lease.cost?.total}>
          {lease.cost ? <>{formatMoney(lease.cost.total, lease.cost.currency)} <span class="muted">({formatMoney(lease.cost.hourly, lease.cost.currency)} per hour)</span></> : "—"}
        </dd>
        {lease.cost?.charged !== undefined && (
          <>
            <dt>Charged</dt>
            <dd data-field="charged" data-value={lease.cost.charged}>
              {formatMoney(lease.cost.charged, lease.cost.currency)} <span class="muted">({lease.cost.billed_minutes} started min{active ? " so far" : ""})</span>
              {lease.cost.not_charged != null && <>, {formatMoney(lease.cost.not_charged, lease.cost.currency)} not charged</>}
            </dd>
          </>
        )}
      </dl>
      <table>
        <caption class="visually-hidden">VMs of {lease.name}</caption>
        <thead>
          <tr><th scope="col">VM</th><th scope="col">State</th><th scope="col">Size</th><th scope="col">Reach it at</th></tr>
        </thead>
        <tbody>
          {lease.vms.map((copy) => {
            const vm = vms.get(copy.id);
            const status = vm?.status ?? copy.status;
            const spec = vm?.spec ?? copy.spec;
            const a = access?.find((x) => x.vm_id === copy.id) ?? lease.access?.find((x) => x.vm_id === copy.id);
            const host = vm?.address ?? a?.host;
            const port = vm?.port ?? a?.port;
            return (
              <tr key={copy.id} data-vm-id={copy.id}>
                <td>{copy.name || vm?.name || copy.id.slice(0, 8)}</td>
                <td><Status value={status} reason={vm?.status_reason ?? copy.status_reason} /></td>
                <td>{spec ? `${spec.cpu_cores} vCPU, ${formatMemory(spec.memory_mb)}, ${spec.disk_gb} GB` : "—"}</td>
                <td>{status === "running" && host && port ? <code>{`${host}:${port}`}</code> : "—"}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {active && (
        <div class="actions">
          <Extend lease={lease} />
          <Release lease={lease} />
        </div>
      )}
    </article>
  );
}

export function Leases() {
  const state = useStore(live);
  const [rented, setRented] = useState<Lease | null>(null);
  const leases = useMemo(
    () => [...state.leases.values()].sort((a, b) => (b.created_at ?? b.leased_from).localeCompare(a.created_at ?? a.leased_from)),
    [state],
  );
  const onRented = (lease: Lease) => {
    upsertLease(lease);
    setRented(lease);
  };
  const passwords = rented?.access?.filter((a) => a.password);
  return (
    <>
      <PageTitle title="Leases">Leases</PageTitle>
      <Rent onRented={onRented} />
      {rented && (
        <div class="notice" role="status">
          <p>Lease <strong>{rented.name}</strong> rented until {formatDateTime(rented.leased_until)}. Its VMs start on their own below.</p>
          {passwords && passwords.length > 0 && (
            <p>
              Sign in to its VMs as <code>{passwords[0].username}</code> with password <code>{passwords[0].password}</code>.
              It is shown only now: keep it safe.
            </p>
          )}
          <button type="button" onClick={() => setRented(null)}>Dismiss</button>
        </div>
      )}
      <section aria-labelledby="leases-title">
        <h2 id="leases-title">Your leases</h2>
        {leases.length === 0 ? (
          <p class="muted">{state.status === "live" ? "No leases yet: rent VMs above." : "Loading…"}</p>
        ) : (
          leases.map((l) => <LeaseCard key={l.id} lease={l} vms={state.vms} access={rented?.id === l.id ? rented.access : undefined} />)
        )}
      </section>
    </>
  );
}
