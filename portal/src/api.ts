import { Store } from "./store";
import type { Me, TokenPair } from "./types";

/** An answer other than 2xx, from its RFC 9457 ProblemDetails when the API sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    /** Validation errors by field name, as the API names fields (`spec.cpu_cores`). */
    readonly fields: Record<string, string[]> = {},
  ) {
    super(detail ? `${title}: ${detail}` : title);
  }
}

interface Session {
  accessToken: string;
  refreshToken: string;
  /** When the access token expires (ms since the epoch). */
  expiresAt: number;
  me: Me;
}

const storageKey = "aetherium.session";

function load(): Session | null {
  try {
    const raw = localStorage.getItem(storageKey);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

/** The signed-in user and their tokens (kept across reloads in this browser); null when signed out. */
export const session = new Store<Session | null>(load());

session.subscribe(() => {
  const s = session.get();
  if (s) localStorage.setItem(storageKey, JSON.stringify(s));
  else localStorage.removeItem(storageKey);
});

export const isAdmin = (me: Me | undefined | null) => !!me?.roles.includes("admin");

async function problem(response: Response): Promise<ApiError> {
  let body: Record<string, unknown> = {};
  try {
    body = (await response.json()) as Record<string, unknown>;
  } catch {
    // not JSON: the status says enough
  }
  const title = typeof body.title === "string" ? body.title : response.statusText || `HTTP ${response.status}`;
  const detail = typeof body.detail === "string" ? body.detail : undefined;
  const fields = (body.errors ?? {}) as Record<string, string[]>;
  return new ApiError(response.status, title, detail, fields);
}

async function send(method: string, path: string, body: unknown, token: string | undefined): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    return await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, "The gateway is not reachable", "Check your connection and try again.");
  }
}

let refreshing: Promise<boolean> | null = null;

/** Exchanges the refresh token for new tokens, once however many calls ask at the same time. */
export function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    const current = session.get();
    if (!current) return false;
    const response = await send("POST", "/api/v1/auth/refresh", { refresh_token: current.refreshToken }, undefined).catch(() => null);
    if (!response?.ok) return false;
    const tokens = (await response.json()) as TokenPair;
    session.set({ ...current, ...fromTokens(tokens) });
    return true;
  })().finally(() => (refreshing = null));
  return refreshing;
}

/** A valid access token, refreshed first when it is about to expire. */
export async function accessToken(): Promise<string | undefined> {
  const s = session.get();
  if (!s) return undefined;
  if (s.expiresAt - Date.now() < 30_000) await refresh();
  return session.get()?.accessToken;
}

/** Calls the API as the signed-in user; a 401 refreshes the tokens once, then signs out. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response = await send(method, path, body, await accessToken());
  if (response.status === 401 && session.get()) {
    if (await refresh()) response = await send(method, path, body, session.get()?.accessToken);
    if (response.status === 401) session.set(null);
  }
  if (!response.ok) throw await problem(response);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

function fromTokens(tokens: TokenPair) {
  return { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, expiresAt: Date.now() + tokens.expires_in * 1000 };
}

/** Starts a session from the tokens a sign-in answered. */
export async function signedIn(tokens: TokenPair): Promise<void> {
  const response = await send("GET", "/api/v1/users/me", undefined, tokens.access_token);
  if (!response.ok) throw await problem(response);
  session.set({ ...fromTokens(tokens), me: (await response.json()) as Me });
}

export async function signIn(username: string, password: string): Promise<void> {
  const response = await send("POST", "/api/v1/auth/login", { username, password }, undefined);
  if (!response.ok) throw await problem(response);
  await signedIn((await response.json()) as TokenPair);
}

export async function signOut(): Promise<void> {
  const s = session.get();
  session.set(null);
  // Ends the session at identity too, so the refresh token is of no use to anyone who copied it.
  if (s) await send("POST", "/api/v1/auth/logout", { refresh_token: s.refreshToken }, s.accessToken).catch(() => undefined);
}
