import type { Driver, Write, WriteResult } from "./contract.ts";

const QUIET_HOPS = 8;
const MAX_HOPS = 64;

interface Pending {
  write: Write;
  resolve(result: WriteResult): void;
  reject(error: unknown): void;
}

/**
 * Group commit: writes that arrive while a batch is being written wait and go
 * to the driver together in the next batch. One batch is in flight at a time,
 * so a slow write (an fsync) gathers everything that became ready meanwhile.
 */
export class CommitQueue {
  #pending: Pending[] = [];
  #busy = false;
  #drained: (() => void)[] = [];

  constructor(private readonly driver: Driver) {}

  commit(write: Write): Promise<WriteResult> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ write, resolve, reject });
      if (!this.#busy) {
        this.#busy = true;
        queueMicrotask(() => this.#flush());
      }
    });
  }

  /** Resolves once every write handed in so far is settled. */
  drain(): Promise<void> {
    if (!this.#busy) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  /** Waits microtasks while more writes keep arriving (at most MAX_HOPS). */
  async #gather(): Promise<void> {
    let seen = this.#pending.length;
    for (let hop = 0, quiet = 0; hop < MAX_HOPS && quiet < QUIET_HOPS; hop++) {
      await undefined;
      if (this.#pending.length > seen) {
        seen = this.#pending.length;
        quiet = 0;
      } else quiet++;
    }
  }

  async #flush(): Promise<void> {
    let next = false;
    while (this.#pending.length > 0) {
      // The tasks whose commits just returned take their next steps a few
      // microtasks later: wait for them, so their commits join this batch
      // instead of trailing the first one (batches of 64, not 1 and 63).
      if (next) await this.#gather();
      next = true;
      const batch = this.#pending;
      this.#pending = [];
      try {
        const results = await this.driver.commit(batch.map((p) => p.write));
        for (let i = 0; i < batch.length; i++) {
          const result = results[i];
          if (result) batch[i]!.resolve(result);
          else {batch[i]!.reject(
              new TypeError(`Driver "${this.driver.name}" returned no result for write ${i}`),
            );}
        }
      } catch (error) {
        for (const p of batch) p.reject(error);
      }
    }
    this.#busy = false;
    const drained = this.#drained;
    this.#drained = [];
    for (const resolve of drained) resolve();
  }
}
