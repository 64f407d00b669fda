/**
 * The fs driver as a conformance subject: each store is a fresh temporary
 * folder, removed afterwards. Shared by the Node (vitest) and Deno runs.
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fsDriver } from "../../drivers/fs/mod.ts";
import type { DriverSubject } from "../../src/driver.ts";

/** A fresh empty folder under the system's temporary folder. */
export function tempDir(prefix = "stater-fs-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Removes a folder made by {@linkcode tempDir}. */
export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/** The subject for `testDriver`. */
export const fsSubject: DriverSubject = {
  name: "fs",
  async setup() {
    const dir = await tempDir();
    return { open: () => fsDriver({ dir }), cleanup: () => removeDir(dir) };
  },
  capabilities: { concurrentEngines: false },
};
