/** Vitest helpers shared by the deno-kv tests on Node. */

import { afterEach, beforeEach } from "vitest";
import type { Driver } from "../../src/mod.ts";
import type { DriverContext } from "../../src/driver.ts";
import { denoKvDriver, type DenoKvDriverOptions } from "../../drivers/deno-kv/mod.ts";
import { tempStore } from "./_subject.ts";

/** What tests open drivers with: reports fail the test. */
export const context: DriverContext = {
  owner: "me",
  report: (error: unknown) => {
    throw error;
  },
};

/** The store of the running test, and drivers opened on it. */
export interface TestStore {
  /** The store file's path. */
  readonly path: string;
  /**
   * Opens a driver on the store for engine `owner`; it is closed after the
   * test, before the store goes. What it reports goes to `report` (by
   * default, it fails the test).
   */
  open(
    owner: string,
    options?: Omit<DenoKvDriverOptions, "path" | "kv">,
    report?: (error: unknown) => void,
  ): Promise<Driver>;
}

/** A fresh store file for each test of the file (call in the file's top level). */
export function useStore(): TestStore {
  let store: Awaited<ReturnType<typeof tempStore>> | undefined;
  const opened: Driver[] = [];
  beforeEach(async () => {
    store = await tempStore();
  });
  afterEach(async () => {
    for (const driver of opened.splice(0)) await driver.close?.();
    await store?.cleanup();
  });
  return {
    get path() {
      return store!.path;
    },
    async open(owner, options = {}, report = context.report) {
      const driver = denoKvDriver({ ...options, path: store!.path });
      await driver.open!({ owner, report });
      opened.push(driver);
      return driver;
    },
  };
}
