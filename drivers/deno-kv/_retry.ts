/**
 * Retries of operations that a local store refuses for a moment because
 * another connection is writing ("database is locked": SQLite's busy state,
 * which `@deno/kv` reports at once when several processes share a file).
 * Such an operation was not applied, so running it again is safe. The
 * wrapper replays an atomic operation on a fresh one, and reads a listing
 * whole before handing it out, so a retry never repeats entries.
 *
 * @module
 */

import type { KvAtomic, KvEntryMaybe, KvKey, KvLike } from "./_kv.ts";

/** How long in all the driver keeps trying an operation on a busy store, in ms. */
const BUSY_FOR_MS = 10_000;

/** Whether `error` says the store is busy for a moment. */
export function isBusy(error: unknown): boolean {
  const text = error instanceof Error ? error.message : String(error);
  return /database is locked|database table is locked|SQLITE_BUSY|database is busy/i.test(text);
}

/** Runs `operation`, again after a short, growing pause while the store is busy. */
export async function whileBusy<T>(operation: () => Promise<T>): Promise<T> {
  const started = Date.now();
  for (let delay = 2;; delay = Math.min(delay * 2, 100)) {
    try {
      return await operation();
    } catch (error) {
      if (!isBusy(error) || Date.now() - started > BUSY_FOR_MS) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random())));
  }
}

type Step =
  | { check: { key: KvKey; versionstamp: string | null } }
  | { set: KvKey; value: unknown; options?: { expireIn?: number } }
  | { delete: KvKey };

class ReplayedAtomic implements KvAtomic {
  #steps: Step[] = [];
  constructor(private readonly kv: KvLike) {}

  check(...checks: { key: KvKey; versionstamp: string | null }[]): KvAtomic {
    for (const check of checks) this.#steps.push({ check });
    return this;
  }

  set(key: KvKey, value: unknown, options?: { expireIn?: number }): KvAtomic {
    this.#steps.push({ set: key, value, options });
    return this;
  }

  delete(key: KvKey): KvAtomic {
    this.#steps.push({ delete: key });
    return this;
  }

  commit(): Promise<{ ok: boolean; versionstamp?: string }> {
    return whileBusy(() => {
      const atomic = this.kv.atomic();
      for (const step of this.#steps) {
        if ("check" in step) atomic.check(step.check);
        else if ("set" in step) atomic.set(step.set, step.value, step.options);
        else atomic.delete(step.delete);
      }
      return atomic.commit();
    });
  }
}

async function* listed(
  kv: KvLike,
  selector: { prefix: KvKey },
  options?: { batchSize?: number },
): AsyncIterable<KvEntryMaybe> {
  const entries = await whileBusy(async () => {
    const out: KvEntryMaybe[] = [];
    for await (const entry of kv.list(selector, options)) out.push(entry);
    return out;
  });
  yield* entries;
}

/** `kv` with every operation retried while the store is busy. */
export function patient(kv: KvLike): KvLike {
  return {
    get: (key) => whileBusy(() => kv.get(key)),
    getMany: (keys) => whileBusy(() => kv.getMany(keys)),
    list: (selector, options) => listed(kv, selector, options),
    atomic: () => new ReplayedAtomic(kv),
    close: () => kv.close(),
  };
}
