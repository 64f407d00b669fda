/**
 * `indexedDBDriver()`: tasks stored in the browser's IndexedDB (through
 * `idb`), in a window, a dedicated worker or a service worker.
 *
 * - States are stored by structured clone, so a state may also hold `Blob`
 *   and `File` (the files of an upload survive a reload).
 * - Every batch of commits is one readwrite transaction with the
 *   `"strict"` durability hint (or `"relaxed"` on request), each write a
 *   compare-and-set on the record's revision; an index on `status` keeps
 *   opening O(active tasks). The tab that holds a task's lock checks the
 *   revision in memory and writes without reading; other tabs send it their
 *   changes to that task (see `_writes.ts`).
 * - Ownership: one Web Lock per task (`stater:<name>:<id>`); the browser
 *   frees it when a tab or worker dies, so a waiting tab takes over at once.
 *   Where `navigator.locks` is missing, leases (owner + expiry) stored in
 *   the database stand in, renewed by the engine; a dead owner is then
 *   replaced once its lease runs out (`leaseMs`).
 * - Events of tasks run in other tabs arrive over a `BroadcastChannel`
 *   named `stater:<name>`.
 *
 * @example
 * ```ts
 * import { createEngine } from "stater";
 * import { indexedDBDriver } from "stater/drivers/indexeddb";
 *
 * const engine = await createEngine({
 *   driver: indexedDBDriver({ name: "uploads" }),
 *   work: { upload: async (s: { files: File[]; i: number }, ctx) =>
 *     s.i >= s.files.length ? ctx.done(s.i) : { ...s, i: s.i + 1 } },
 * });
 * engine.on("progress", (e) => console.log(e.task.id, e.done, e.total));
 * ```
 *
 * @module
 */

import {
  type AcquireOptions,
  checkStorable,
  type Driver,
  type DriverContext,
  type DriverError,
  type DriverEvent,
  durabilityOption,
  type Lease,
  type ListQuery,
  type TaskRecord,
  type Write,
  writeId,
  type WriteResult,
} from "../../src/driver.ts";
import { EventChannel } from "./_channel.ts";
import { commitBatch, commitBlind, listRecords } from "./_commit.ts";
import { assertGlobals, type Database, defaultFactory, openDatabase } from "./_database.ts";
import { isBlob, storeError } from "./_errors.ts";
import { LeaseTable, lockTask } from "./_ownership.ts";
import { Writes } from "./_writes.ts";

/** Options of {@linkcode indexedDBDriver}. */
export interface IndexedDBDriverOptions {
  /**
   * The database's name. Engines on the same name (in any tab or worker of
   * the site) share its tasks.
   * @default "stater"
   */
  name?: string;
  /**
   * `"strict"`: a commit resolves once the browser reports it written to
   * disk (the transaction's `durability: "strict"` hint). `"relaxed"`: once
   * the browser has it; a crash of the browser or the machine may lose the
   * last moments, never tear a record.
   * @default "strict"
   */
  durability?: "strict" | "relaxed";
  /**
   * The IndexedDB factory to use instead of the global one, such as
   * `fake-indexeddb`'s in tests. IndexedDB's classes (`IDBRequest`, …) must
   * still be globals, since `idb` relies on them (`fake-indexeddb/auto`).
   * @default globalThis.indexedDB, looked up at first use
   */
  indexedDB?: IDBFactory;
  /**
   * How tasks are owned: a `LockManager`, or `false` for leases stored in
   * the database (what the driver uses where Web Locks are missing).
   * @default globalThis.navigator.locks when there is one, else leases
   */
  locks?: LockManager | false;
  /**
   * With leases only: how long a lease lasts without renewal, in ms. An
   * engine renews its leases three times per period; a dead owner's tasks
   * are taken over once it runs out.
   * @default 5000
   */
  leaseMs?: number;
}

/**
 * A driver that keeps tasks in IndexedDB. See the module documentation
 * for what it stores and how tabs share it.
 */
export function indexedDBDriver(options: IndexedDBDriverOptions = {}): Driver {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("indexedDBDriver(options) needs an options object");
  }
  const name = options.name ?? "stater";
  if (typeof name !== "string" || name === "") {
    throw new TypeError(
      `indexedDBDriver's name must be a non-empty string, got ${JSON.stringify(name)}`,
    );
  }
  const durability = durabilityOption("indexedDBDriver", options.durability);
  const leaseMs = options.leaseMs ?? 5000;
  if (typeof leaseMs !== "number" || !(leaseMs > 0) || leaseMs === Infinity) {
    throw new RangeError(`indexedDBDriver's leaseMs must be a number > 0, got ${String(leaseMs)}`);
  }
  if (options.indexedDB !== undefined && typeof options.indexedDB?.open !== "function") {
    throw new TypeError(
      "indexedDBDriver's indexedDB option must be an IDBFactory (with an open() method)",
    );
  }

  let opening: Promise<Database> | undefined;
  let gone: DriverError | undefined;
  let opens = 0;
  let report: (error: unknown) => void = () => {};
  const channel = new EventChannel(`stater:${name}`, (error) => report(error));
  const leases = new LeaseTable(() => database(), leaseMs);
  const lockName = (id: string) => `stater:${name}:${id}`;
  let writes: Writes | undefined;

  /** The router of writes, with Web Locks only (see `_writes.ts`). */
  function router(locks: LockManager, db: Database): Writes {
    return writes ??= new Writes(locks, lockName, `stater:${name}:writes`, {
      blind: (batch) => commitBlind(db, batch, durability),
      checked: (batch) => commitBatch(db, batch, durability),
    });
  }

  function database(): Promise<Database> {
    if (gone) return Promise.reject(gone);
    if (!opening) {
      let factory: IDBFactory;
      try {
        factory = options.indexedDB ?? defaultFactory();
        assertGlobals();
      } catch (error) {
        return Promise.reject(error);
      }
      const current: Promise<Database> = openDatabase(factory, name, (error) => {
        if (opening !== current) return; // a connection this driver already closed
        gone = error;
        try {
          report(error);
        } catch { /* the listener's trouble, not the store's */ }
      });
      opening = current;
      current.catch(() => {
        if (opening === current) opening = undefined;
      });
    }
    return opening;
  }

  function lockManager(): LockManager | undefined {
    if (options.locks === false) return undefined;
    return options.locks ??
      (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  }

  /** Takes task `id`'s Web Lock; while it is held, this driver alone writes the task's record. */
  async function lockHeld(
    locks: LockManager,
    id: string,
    options: AcquireOptions,
  ): Promise<Lease | undefined> {
    const db = await database();
    const lease = await lockTask(locks, lockName(id), id, options);
    if (!lease) return undefined;
    const table = router(locks, db);
    table.held(id);
    return {
      id,
      release: async () => {
        await table.releasing(id);
        await lease.release();
      },
    };
  }

  async function commit(batch: readonly Write[]): Promise<WriteResult[]> {
    if (batch.length === 0) return [];
    if (new Set(batch.map(writeId)).size < batch.length) {
      // The same task twice in one batch (rare): one write after the other, in order.
      const results: WriteResult[] = [];
      for (const write of batch) results.push(...(await commit([write])));
      return results;
    }
    const locks = lockManager();
    return run(
      `commit ${batch.length} write(s)`,
      (db) => locks ? router(locks, db).commit(batch) : commitBatch(db, batch, durability),
    );
  }

  async function run<T>(doing: string, fn: (db: Database) => Promise<T>): Promise<T> {
    const db = await database();
    try {
      return await fn(db);
    } catch (error) {
      throw gone ?? storeError(error, name, doing);
    }
  }

  return {
    name: "indexeddb",

    get renewEveryMs(): number | undefined {
      return lockManager() ? undefined : leases.renewEveryMs;
    },

    async open(context: DriverContext): Promise<void> {
      report = context.report;
      opens++;
      try {
        await database();
      } catch (error) {
        opens--;
        throw error;
      }
    },

    check(value: unknown, path: string): void {
      checkStorable(value, path, isBlob);
    },

    get(id: string): Promise<TaskRecord | undefined> {
      return run("read a task", (db) => db.get("tasks", id));
    },

    list(query: ListQuery = {}): Promise<TaskRecord[]> {
      return run("list tasks", (db) => listRecords(db, query));
    },

    commit,

    acquire(id: string, options: AcquireOptions): Promise<Lease | undefined> {
      const locks = lockManager();
      const taking = locks ? lockHeld(locks, id, options) : leases.acquire(id, options);
      return taking.catch((error) => {
        throw gone ?? storeError(error, name, `take task "${id}"`);
      });
    },

    publish(event: DriverEvent): void {
      channel.publish(event);
    },

    subscribe(listener: (event: DriverEvent) => void): () => void {
      return channel.subscribe(listener);
    },

    async close(): Promise<void> {
      opens = Math.max(0, opens - 1);
      if (opens > 0) return;
      channel.close();
      writes?.close();
      writes = undefined;
      const db = opening;
      opening = undefined;
      gone = undefined;
      if (db) (await db.catch(() => undefined))?.close();
    },
  };
}
