// How figures read on the page: short, unambiguous, in the user's locale.

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const time = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });

export const formatDateTime = (iso: string | null | undefined) => (iso ? dateTime.format(new Date(iso)) : "—");
export const formatTime = (iso: string | null | undefined) => (iso ? time.format(new Date(iso)) : "—");

export function formatMoney(amount: number | undefined, currency: string | undefined): string {
  if (amount === undefined) return "—";
  // Short leases cost fractions of a cent: up to four decimals, at least two.
  const digits = { minimumFractionDigits: 2, maximumFractionDigits: 4 };
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: currency ?? "USD", ...digits }).format(amount);
  } catch {
    return `${new Intl.NumberFormat(undefined, digits).format(amount)} ${currency ?? ""}`.trim();
  }
}

export const formatMemory = (mb: number | undefined) =>
  mb === undefined ? "—" : mb >= 1024 ? `${(mb / 1024).toFixed(mb % 1024 === 0 ? 0 : 1)} GiB` : `${mb} MiB`;

export const formatPercent = (value: number | undefined) => (value === undefined ? "—" : `${value.toFixed(1)} %`);

/** "in 59 min", "2 h 5 min ago". */
export function formatRelative(iso: string, now = Date.now()): string {
  const ms = new Date(iso).getTime() - now;
  const minutes = Math.round(Math.abs(ms) / 60_000);
  const text = minutes < 1 ? "less than a minute" : minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}
