import type { AnchorHTMLAttributes, ComponentChildren, InputHTMLAttributes } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "../api";
import { navigate } from "../router";

/** A link that moves within the portal without reloading it (modified clicks still open new tabs). */
export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.href);
  };
  return <a {...props} onClick={onClick} />;
}

/** A state as a coloured word; data-status lets tests and styles find it. */
export function Status({ value, reason }: { value: string; reason?: string | null }) {
  return (
    <span class={`status status-${value}`} data-status={value} title={reason ?? undefined}>
      {value}
    </span>
  );
}

/** The page's heading, focused when the page changes so screen readers announce where the user is. */
export function PageTitle({ children, title }: { children: ComponentChildren; title: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Aetherium`;
    ref.current?.focus();
  }, [title]);
  return (
    <h1 tabIndex={-1} ref={ref}>
      {children}
    </h1>
  );
}

export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  const text = error instanceof ApiError ? error.message : error instanceof Error ? error.message : String(error);
  return (
    <p class="error" role="alert">
      {text}
    </p>
  );
}

/** A labelled input whose field error (from the API's ValidationProblem) is tied to it for assistive technology. */
export function Field({ label, name, errors, hint, ...input }: InputHTMLAttributes<HTMLInputElement> & {
  label: string; name: string; errors?: Record<string, string[]>; hint?: string;
}) {
  const id = `field-${name}`;
  const messages = errors?.[name] ?? [];
  const described = [hint ? `${id}-hint` : "", messages.length ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} name={name} aria-invalid={messages.length > 0 || undefined} aria-describedby={described} {...input} />
      {hint && <small id={`${id}-hint`}>{hint}</small>}
      {messages.length > 0 && (
        <small id={`${id}-error`} class="field-error">
          {messages.join("; ")}
        </small>
      )}
    </div>
  );
}

/** Field errors of an ApiError (400 ValidationProblem), else none. */
export const fieldErrors = (error: unknown) => (error instanceof ApiError ? error.fields : {});

/** Reads data when the inputs change; `reload` reads again (keeping what is shown meanwhile). */
export function useAsync<T>(read: () => Promise<T>, inputs: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const generation = useRef(0);
  const reload = useCallback(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    read().then(
      (data) => mine === generation.current && setState({ data, loading: false }),
      (error) => mine === generation.current && setState((s) => ({ ...s, error, loading: false })),
    );
  }, inputs);
  useEffect(reload, [reload]);
  return { ...state, reload };
}

/** Calls `run` at most once per `ms`, the last call winning (for re-reads triggered by bursts of events). */
export function useDebounced(run: () => void, ms: number) {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const latest = useRef(run);
  latest.current = run;
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => latest.current(), ms);
  }, [ms]);
}

/** Copies text to the clipboard, also where the Clipboard API is missing (plain HTTP on a LAN address). */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState<string>("");
  const copy = async () => {
    try {
      if (navigator.clipboard && window.isSecureContext) await navigator.clipboard.writeText(text);
      else {
        const area = document.createElement("textarea");
        area.value = text;
        area.setAttribute("readonly", "");
        area.style.position = "fixed";
        area.style.opacity = "0";
        document.body.append(area);
        area.select();
        const ok = document.execCommand("copy");
        area.remove();
        if (!ok) throw new Error("copy refused");
      }
      setDone("Copied to the clipboard.");
    } catch {
      setDone("Could not copy: select the text and copy it by hand.");
    }
  };
  return (
    <span class="copy">
      <button type="button" onClick={copy}>
        {label}
      </button>
      <span role="status" class="copy-status">
        {done}
      </span>
    </span>
  );
}
