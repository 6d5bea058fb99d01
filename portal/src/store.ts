import { useLayoutEffect, useState } from "preact/hooks";

/** A value that components follow: `useStore(store)` re-renders them whenever it changes. */
export class Store<T> {
  private listeners = new Set<() => void>();

  constructor(private value: T) {}

  get(): T {
    return this.value;
  }

  set(value: T): void {
    this.value = value;
    for (const listener of [...this.listeners]) listener();
  }

  update(change: (value: T) => T): void {
    this.set(change(this.value));
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export function useStore<T>(store: Store<T>): T {
  const value = store.get();
  const [, rerender] = useState(0);
  // A layout effect subscribes before any passive effect runs: a child's effect that changes the store
  // (a Redirect navigating) on the first render would otherwise go unseen, and the page stay blank.
  useLayoutEffect(() => {
    const unsubscribe = store.subscribe(() => rerender((n) => n + 1));
    if (store.get() !== value) rerender((n) => n + 1);
    return unsubscribe;
  }, [store]);
  return value;
}
