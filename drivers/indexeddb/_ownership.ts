/**
 * Per-task ownership. With Web Locks (every current browser, in windows and
 * workers): one exclusive lock per task, held until released; the browser
 * frees it when the tab or worker dies, so a waiting engine takes over at
 * once. Without them: a lease row per task (owner + expiry) in the
 * database, renewed by the engine, taken over once it runs out.
 *
 * @module
 */

import { type AcquireOptions, type Lease, OwnershipLostError } from "../../src/driver.ts";
import type { Database } from "./_database.ts";

/**
 * How long a waiting request holds back before it queues for a lock, in ms.
 * Every engine hears of a new task at once and waits for it; the grace lets
 * the engine that created (or resumed) the task take it first, instead of a
 * race that other tabs often win.
 */
export const WAIT_GRACE_MS = 50;

/**
 * Takes the Web Lock `key` for task `id`. Without `wait`, answers at once;
 * with it, waits until the lock is free or `signal` aborts.
 */
export function lockTask(
  locks: LockManager,
  key: string,
  id: string,
  options: AcquireOptions,
): Promise<Lease | undefined> {
  const { wait, signal } = options;
  if (signal.aborted) return Promise.resolve(undefined);
  if (!wait) return request(locks, key, id, { ifAvailable: true }, signal);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(request(locks, key, id, { signal }, signal));
    }, WAIT_GRACE_MS);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(undefined);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function request(
  locks: LockManager,
  key: string,
  id: string,
  options: LockOptions,
  signal: AbortSignal,
): Promise<Lease | undefined> {
  return new Promise((resolve, reject) => {
    let granted = false;
    const held = locks.request(key, options, (lock) => {
      if (!lock || signal.aborted) {
        resolve(undefined);
        return undefined;
      }
      granted = true;
      return new Promise<void>((release) => {
        resolve({
          id,
          release: () => {
            release();
            return held.then(() => undefined, () => undefined);
          },
        });
      });
    });
    held.catch((error: unknown) => {
      if (granted) return;
      if (signal.aborted || (error as { name?: string } | null)?.name === "AbortError") {
        resolve(undefined);
      } else reject(error);
    });
  });
}

/** Leases stored in the database, for platforms without Web Locks. */
export class LeaseTable {
  constructor(
    private readonly db: () => Promise<Database>,
    private readonly leaseMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** How often a holder renews: three times per lease. */
  get renewEveryMs(): number {
    return Math.max(10, Math.floor(this.leaseMs / 3));
  }

  /**
   * Writes `owner`'s lease on `id` if it is free, expired or already
   * `owner`'s; false if another holds it.
   */
  async #take(id: string, owner: string, renewing: boolean): Promise<boolean> {
    const db = await this.db();
    const tx = db.transaction("leases", "readwrite");
    const row = await tx.store.get(id);
    const now = this.now();
    const mine = row?.owner === owner;
    if (renewing ? !mine : row && !mine && row.expires > now) {
      await tx.done;
      return false;
    }
    tx.store.put({ id, owner, expires: now + this.leaseMs }).catch(() => {}); // tx.done reports it
    await tx.done;
    return true;
  }

  /** Takes the lease on `id`; with `wait`, polls until it is free or `signal` aborts. */
  async acquire(id: string, options: AcquireOptions): Promise<Lease | undefined> {
    const { owner, wait, signal } = options;
    for (;;) {
      if (signal.aborted) return undefined;
      if (await this.#take(id, owner, false)) break;
      if (!wait) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(250, this.renewEveryMs));
        function done() {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          resolve();
        }
        signal.addEventListener("abort", done, { once: true });
      });
    }
    if (signal.aborted) {
      await this.#release(id, owner);
      return undefined;
    }
    return {
      id,
      renew: async () => {
        if (!(await this.#take(id, owner, true))) {
          throw new OwnershipLostError(id, "its lease ran out and another engine took it");
        }
      },
      release: () => this.#release(id, owner),
    };
  }

  async #release(id: string, owner: string): Promise<void> {
    const db = await this.db();
    const tx = db.transaction("leases", "readwrite");
    const row = await tx.store.get(id);
    if (row?.owner === owner) tx.store.delete(id).catch(() => {}); // tx.done reports it
    await tx.done;
  }
}
