import { useState } from "preact/hooks";
import { api } from "../api";
import { ErrorMessage, Field, PageTitle, fieldErrors, useAsync } from "../components/ui";
import { formatDateTime, formatMoney } from "../format";
import type { Usage } from "../types";

/** yyyy-mm-dd of a date, in UTC (the API's days are UTC days). */
const day = (d: Date) => d.toISOString().slice(0, 10);

/** The organisation's leases, VM-hours and cost over a period (GET /api/v1/usage), per day. */
export function UsagePage() {
  const now = new Date();
  const [form, setForm] = useState({ from: day(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1))), to: "" });
  const [period, setPeriod] = useState(form);
  const query = new URLSearchParams(Object.entries(period).filter(([, v]) => v)).toString();
  const usage = useAsync(() => api<Usage>("GET", `/api/v1/usage?${query}`), [query]);
  const errors = fieldErrors(usage.error);
  const u = usage.data;
  return (
    <>
      <PageTitle title="Usage">Usage</PageTitle>
      <form class="panel" onSubmit={(e) => { e.preventDefault(); setPeriod(form); }}>
        <Field label="From" name="from" type="date" value={form.from} errors={errors}
          onInput={(e) => setForm({ ...form, from: e.currentTarget.value })} />
        <Field label="To" name="to" type="date" value={form.to} errors={errors} hint="Exclusive; empty for now"
          onInput={(e) => setForm({ ...form, to: e.currentTarget.value })} />
        <button type="submit">Show</button>
      </form>
      {Object.keys(errors).length === 0 && <ErrorMessage error={usage.error} />}
      {u && (
        <section aria-labelledby="usage-title" data-vm-hours={u.vm_hours} data-cost={u.cost}>
          <h2 id="usage-title">{formatDateTime(u.from)} to {formatDateTime(u.to)}</h2>
          <dl class="facts">
            <dt>Leases</dt><dd data-field="leases">{u.leases.started} started, {u.leases.ended} ended</dd>
            <dt>VM-hours</dt><dd data-field="vm_hours">{u.vm_hours.toFixed(2)}</dd>
            <dt>Cost</dt><dd data-field="cost">{formatMoney(u.cost, u.currency)}</dd>
          </dl>
          <table>
            <caption class="visually-hidden">Use per day</caption>
            <thead><tr><th scope="col">Day (UTC)</th><th scope="col">VM-hours</th><th scope="col">Cost</th></tr></thead>
            <tbody>
              {u.days.filter((d) => d.vm_hours > 0).map((d) => (
                <tr key={d.date} data-day={d.date}><td>{d.date}</td><td>{d.vm_hours.toFixed(2)}</td><td>{formatMoney(d.cost, u.currency)}</td></tr>
              ))}
            </tbody>
          </table>
          <p class="muted">A lease counts for the share of its time in use that falls in the period; it is charged per started minute.</p>
        </section>
      )}
    </>
  );
}
