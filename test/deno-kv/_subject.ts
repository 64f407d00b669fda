/**
 * The deno-kv driver as a conformance subject: each store is a fresh file in
 * a temporary folder, removed afterwards. Shared by the Node (vitest, through
 * `@deno/kv`) and Deno runs.
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { denoKvDriver, type DenoKvDriverOptions } from "../../drivers/deno-kv/mod.ts";
import type { DriverSubject } from "../../src/driver.ts";

/** A fresh folder and the path of a store file inside it. */
export async function tempStore(): Promise<{ path: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "stater-kv-"));
  return { path: join(dir, "store.kv"), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** The subject for `testDriver`; `options` go to every driver it opens. */
export function denoKvSubject(
  name: string,
  options: Omit<DenoKvDriverOptions, "path" | "kv"> = {},
): DriverSubject {
  return {
    name,
    async setup() {
      const store = await tempStore();
      return { open: () => denoKvDriver({ ...options, path: store.path }), cleanup: store.cleanup };
    },
    capabilities: { concurrentEngines: true },
  };
}
