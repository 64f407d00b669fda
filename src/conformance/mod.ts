/**
 * The driver conformance suite: written once, run by every driver on every
 * runtime it claims (vitest on Node and in Chromium, `deno test` on Deno).
 * It uses no runtime-specific API, so a driver author runs it under any test
 * runner that registers a test by name and async function.
 *
 * @example
 * ```ts ignore
 * import { it } from "vitest";
 * import { testDriver } from "stater/driver";
 * import { myDriver } from "./my_driver.ts";
 *
 * testDriver({ test: (name, fn) => it(name, fn) }, {
 *   name: "my driver",
 *   setup: async () => ({ open: () => myDriver({ url: "…" }) }),
 *   capabilities: { concurrentEngines: true },
 * });
 * ```
 *
 * @module
 */

import type { Driver } from "../contract.ts";
import { engineTests } from "./_engines.ts";
import { recordTests } from "./_records.ts";

/** One fresh store; each `open()` is a new driver object over it (a restart). */
export interface StoreUnderTest {
  /** A new driver over this store, as a restarted program would make it. */
  open(): Driver | Promise<Driver>;
  /** Removes the store, after its test. */
  cleanup?(): Promise<void>;
}

/** The driver being tested. */
export interface DriverSubject {
  /** Prefixes every test name. */
  name: string;
  /** Makes one fresh, empty store for one test. */
  setup(): Promise<StoreUnderTest>;
  /** What the driver can do beyond the contract's required members. */
  capabilities?: {
    /** Blob and File round-trip (IndexedDB). */
    blobs?: boolean;
    /**
     * Two engines may open the store at once (per-task ownership); otherwise
     * the second gets StoreLockedError.
     */
    concurrentEngines?: boolean;
  };
}

/** How the suite registers a test. */
export interface TestApi {
  /** Registers a test by name; `fn` rejects when it fails. */
  test(name: string, fn: () => Promise<void>): void;
}

/** Registers one test of the suite: it gets a fresh store, removed afterwards. */
export type SuiteTest = (name: string, fn: (store: StoreUnderTest) => Promise<void>) => void;

/** Registers the whole suite for `subject` with `t`. */
export function testDriver(t: TestApi, subject: DriverSubject): void {
  const it: SuiteTest = (name, fn) =>
    t.test(`${subject.name}: ${name}`, async () => {
      const store = await subject.setup();
      try {
        await fn(store);
      } finally {
        await store.cleanup?.();
      }
    });
  const caps = subject.capabilities ?? {};
  recordTests(it, caps);
  engineTests(it, caps);
}
