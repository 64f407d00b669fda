/** Vitest helpers shared by the deno-kv tests on Node. */

import { afterEach, beforeEach } from "vitest";
import type { DriverContext } from "../../src/mod.ts";
import { tempStore } from "./_subject.ts";

/** What tests open drivers with: reports fail the test. */
export const context: DriverContext = { owner: "me", report: (error: unknown) => { throw error; } };

/** A fresh store file for each test of the file; call the result for its path. */
export function useStore(): () => string {
  let store: Awaited<ReturnType<typeof tempStore>> | undefined;
  beforeEach(async () => {
    store = await tempStore();
  });
  afterEach(async () => {
    await store?.cleanup();
  });
  return () => store!.path;
}
