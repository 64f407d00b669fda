/** Helpers for the browser tests of the IndexedDB driver. */

let counter = 0;

/** A database name no other test uses. */
export function freshName(prefix: string): string {
  return `${prefix}-${Date.now()}-${counter++}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Deletes a database; rejects if another connection blocks it for more than two seconds. */
export function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    const timer = setTimeout(() => reject(new Error(`deleting ${name} is blocked`)), 2000);
    request.onsuccess = () => {
      clearTimeout(timer);
      resolve();
    };
    request.onerror = () => {
      clearTimeout(timer);
      reject(request.error);
    };
  });
}

/** Resolves once `condition` holds; rejects after `ms`. */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  ms = 5000,
  what = "the condition",
): Promise<void> {
  const until = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A promise with its resolve function outside. */
export function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * A source of fresh database names for one test file; `dropAll()` deletes
 * the ones handed out since it last ran (call it in `afterEach`).
 */
export function databases(prefix: string): { name(): string; dropAll(): Promise<void> } {
  const names: string[] = [];
  return {
    name() {
      const n = freshName(prefix);
      names.push(n);
      return n;
    },
    async dropAll() {
      for (const n of names.splice(0)) await deleteDatabase(n);
    },
  };
}
