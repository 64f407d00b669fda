/**
 * `memoryDriver()`: a volatile store in this process's memory, for tests and
 * examples. It still refuses every state the durable drivers would refuse, and
 * it behaves like a shared store when several engines open it at once: each
 * task is owned by one engine at a time, and each engine hears the others'
 * events.
 *
 * @example
 * ```ts
 * import { createEngine } from "stater";
 * import { memoryDriver } from "stater/drivers/memory";
 *
 * const driver = memoryDriver();
 * const engine = await createEngine({ driver, work: { noop: (_: null, ctx) => ctx.done("ok") } });
 * const task = await engine.create("noop", null);
 * console.log(await task.result()); // "ok"
 * await engine.close();
 * ```
 *
 * @module
 */

import {
  type AcquireOptions,
  checkStorable,
  cloneStorable,
  type Driver,
  type DriverEvent,
  type Lease,
  type ListQuery,
  type TaskRecord,
  type Write,
  writeId,
  type WriteResult,
} from "../../src/driver.ts";

/** A copy of `record` that shares nothing mutable with it. */
function copy(record: TaskRecord): TaskRecord {
  const out: TaskRecord = { ...record, state: cloneStorable(record.state, "state") };
  if ("result" in record) out.result = cloneStorable(record.result, "result");
  if (record.progress) out.progress = { ...record.progress };
  if (record.error) out.error = { ...record.error };
  return out;
}

interface Holder {
  lease: Lease;
  waiters: { grant(): void; signal: AbortSignal }[];
}

/**
 * A volatile driver: records live in this object, so a new engine over the
 * same `memoryDriver()` object sees what the last one left (a restart in
 * miniature), and nothing survives the process.
 */
export function memoryDriver(): Driver {
  const records = new Map<string, TaskRecord>();
  const holders = new Map<string, Holder>();
  const listeners = new Set<(event: DriverEvent) => void>();

  function grantNext(id: string, holder: Holder): void {
    for (;;) {
      const next = holder.waiters.shift();
      if (!next) {
        holders.delete(id);
        return;
      }
      if (!next.signal.aborted) {
        next.grant();
        return;
      }
    }
  }

  function lease(id: string): Lease {
    const lease: Lease = {
      id,
      release() {
        const holder = holders.get(id);
        if (holder?.lease === lease) grantNext(id, holder);
      },
    };
    return lease;
  }

  return {
    name: "memory",

    check(value: unknown, path: string): void {
      checkStorable(value, path);
    },

    get(id: string): TaskRecord | undefined {
      const record = records.get(id);
      return record && copy(record);
    },

    list(query: ListQuery = {}): TaskRecord[] {
      const out: TaskRecord[] = [];
      for (const record of records.values()) {
        if (query.status && !query.status.includes(record.status)) continue;
        if (query.work !== undefined && record.work !== query.work) continue;
        out.push(copy(record));
      }
      return out;
    },

    commit(writes: readonly Write[]): WriteResult[] {
      const results: WriteResult[] = [];
      for (const write of writes) {
        const id = writeId(write);
        const current = records.get(id);
        const rev = current?.rev ?? 0;
        if (write.expectRev !== undefined && write.expectRev !== rev) {
          results.push({ ok: false, conflict: true });
          continue;
        }
        if (write.type === "delete") {
          records.delete(id);
          results.push({ ok: true });
          continue;
        }
        try {
          records.set(id, copy(write.record));
          results.push({ ok: true });
        } catch (error) {
          results.push({ ok: false, error: error as Error });
        }
      }
      return results;
    },

    acquire(id: string, options: AcquireOptions): Lease | undefined | Promise<Lease | undefined> {
      const holder = holders.get(id);
      if (!holder) {
        const granted = lease(id);
        holders.set(id, { lease: granted, waiters: [] });
        return granted;
      }
      if (!options.wait || options.signal.aborted) return undefined;
      return new Promise((resolve) => {
        const waiter = {
          signal: options.signal,
          grant() {
            options.signal.removeEventListener("abort", onAbort);
            holder.lease = lease(id);
            resolve(holder.lease);
          },
        };
        const onAbort = () => {
          const i = holder.waiters.indexOf(waiter);
          if (i >= 0) holder.waiters.splice(i, 1);
          resolve(undefined);
        };
        options.signal.addEventListener("abort", onAbort, { once: true });
        holder.waiters.push(waiter);
      });
    },

    publish(event: DriverEvent): void {
      // One listener is the publisher's own engine: nobody else to tell.
      if (listeners.size < 2) return;
      let copied: DriverEvent;
      try {
        copied = event.type === "commit"
          ? { ...event, record: copy(event.record) }
          : event.type === "message"
          ? { ...event, message: cloneStorable(event.message, "message") }
          : event;
      } catch {
        // A message that cannot be copied goes as it is: it is not stored.
        copied = event;
      }
      for (const listener of [...listeners]) queueMicrotask(() => listener(copied));
    },

    subscribe(listener: (event: DriverEvent) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
