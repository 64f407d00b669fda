/**
 * Waiting for leases, batched: an engine may wait for many tasks that other
 * engines run (every task it hears of). Instead of one read per task per
 * poll, one loop reads every waited lease key every `pollMs`, ten keys per
 * read, and tries to take those that are free or expired.
 *
 * Unlike the change feed's poll, this loop keeps the process alive: an
 * engine waiting for a lease stands by to run a task that is not finished,
 * so a worker process does not end while another process runs tasks it
 * would take over. The wait ends when the task's lease comes free (its
 * holder finished, paused or released it, or died) or the engine stops
 * wanting it.
 *
 * @module
 */

import type { KvEntryMaybe, KvKey, KvLike } from "./_kv.ts";
import { getAll } from "./_read.ts";

interface Waiter {
  key: KvKey;
  owner: string;
  signal: AbortSignal;
  done(stamp: string | undefined, error?: unknown): void;
}

/**
 * Takes the lease at `key` for `owner` if `entry` shows it free or expired:
 * the new versionstamp, or `undefined`.
 */
export type Take = (key: KvKey, owner: string, entry: KvEntryMaybe) => Promise<string | undefined>;

/** The waiters of one store, served by one polling loop. */
export class LeaseWaits {
  #waiters = new Set<Waiter>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly kv: KvLike,
    private readonly take: Take,
    private readonly pollMs: number,
  ) {}

  /** Resolves with our lease's versionstamp once taken, or `undefined` when `signal` aborts. */
  wait(key: KvKey, owner: string, signal: AbortSignal): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        key,
        owner,
        signal,
        done: (stamp, error) => {
          this.#waiters.delete(waiter);
          signal.removeEventListener("abort", onAbort);
          if (error !== undefined) reject(error);
          else resolve(stamp);
        },
      };
      const onAbort = () => waiter.done(undefined);
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiters.add(waiter);
      this.#schedule();
    });
  }

  /** Stops the loop; waiting calls resolve `undefined`. */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const waiter of [...this.#waiters]) waiter.done(undefined);
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#waiters.size === 0) return;
    this.#timer = setTimeout(() => {
      this.#poll().finally(() => {
        this.#timer = undefined;
        this.#schedule();
      });
    }, this.pollMs);
  }

  async #poll(): Promise<void> {
    const waiters = [...this.#waiters];
    let entries: KvEntryMaybe[];
    try {
      entries = await getAll(this.kv, waiters.map((waiter) => waiter.key));
    } catch (error) {
      for (const waiter of waiters) waiter.done(undefined, error);
      return;
    }
    await Promise.all(waiters.map(async (waiter, index) => {
      if (waiter.signal.aborted || !this.#waiters.has(waiter)) return;
      try {
        const stamp = await this.take(waiter.key, waiter.owner, entries[index]!);
        if (stamp !== undefined) waiter.done(stamp);
      } catch (error) {
        waiter.done(undefined, error);
      }
    }));
  }
}
