import { Store } from "./store";

// History-API routing: the gateway answers every page path with index.html, so links are plain URLs.

export const route = new Store<string>(window.location.pathname);

window.addEventListener("popstate", () => route.set(window.location.pathname));

export function navigate(path: string, replace = false): void {
  if (path === window.location.pathname) return;
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  route.set(window.location.pathname);
}

/** `/workers/:id` against `/workers/abc` → `{ id: "abc" }`; null when it does not match. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/");
  const have = path.replace(/\/+$/, "").split("/");
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(":")) params[want[i].slice(1)] = decodeURIComponent(have[i]);
    else if (want[i] !== have[i]) return null;
  }
  return params;
}
