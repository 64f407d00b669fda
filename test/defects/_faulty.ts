/** A memory driver whose commits, reads or acquisitions can be made to fail or to lag. */
import type { AcquireOptions, Driver, Lease, Write } from "../../src/driver.ts";
import { memoryDriver } from "../../drivers/memory/mod.ts";

export interface Faulty {
  driver: Driver;
  inner: Driver;
  /** Commits reject with this error while set. */
  failCommits?: Error;
  /** `get` rejects with this error while set. */
  failGets?: Error;
  /** `acquire` waits this long before asking the inner driver. */
  acquireDelayMs: number;
  /** `get` waits this long before asking the inner driver. */
  getDelayMs: number;
}

/** A faulty driver over `inner` (a fresh memory driver by default). */
export function faulty(inner: Driver = memoryDriver()): Faulty {
  const faults: Faulty = { inner, driver: undefined as never, acquireDelayMs: 0, getDelayMs: 0 };
  faults.driver = Object.assign(Object.create(inner), {
    commit(writes: readonly Write[]) {
      if (faults.failCommits) return Promise.reject(faults.failCommits);
      return inner.commit(writes);
    },
    async get(id: string) {
      if (faults.getDelayMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, faults.getDelayMs));
      }
      if (faults.failGets) throw faults.failGets;
      return await inner.get(id);
    },
    async acquire(id: string, options: AcquireOptions): Promise<Lease | undefined> {
      if (faults.acquireDelayMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, faults.acquireDelayMs));
      }
      return inner.acquire!(id, options);
    },
  }) as Driver;
  return faults;
}

/** A full-disk error as Node reports it. */
export function diskFull(): Error {
  return Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
}
