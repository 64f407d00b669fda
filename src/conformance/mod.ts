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

import { engineTests } from "./_engines.ts";
import { recordTests } from "./_records.ts";
import type { DriverSubject, SuiteTest, TestApi } from "./_types.ts";

export type { Capabilities, DriverSubject, StoreUnderTest, SuiteTest, TestApi } from "./_types.ts";

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
