/**
 * `fsDriver({ dir })`: durable task records in a folder, on `node:fs`, for
 * Node (20 and later) and Deno 2.
 *
 * Every commit batch is appended to a checksummed journal and flushed with
 * fdatasync before it resolves (`durability: "strict"`, the default), so a
 * crash at any moment, `kill -9` included, leaves every task as a whole
 * earlier commit. One engine writes a store at a time: the folder holds a
 * lock file naming its holder, and a second engine gets `StoreLockedError`
 * (a holder that is provably dead on this machine is replaced at once).
 * Task ids are stored inside the files, never used as file names. Finished
 * tasks move to separate files that are read only when asked for, so opening
 * a store costs O(active tasks). See `drivers/fs/README.md` for the format.
 *
 * @example
 * ```ts
 * import { createEngine } from "stater";
 * import { fsDriver } from "stater/drivers/fs";
 *
 * const engine = await createEngine({
 *   driver: fsDriver({ dir: ".stater" }),
 *   work: { count: (s: { n: number }, ctx) => (s.n >= 3 ? ctx.done(s.n) : { n: s.n + 1 }) },
 * });
 * const task = await engine.create("count", { n: 0 }, { id: "count-1" });
 * console.log(await task.result()); // 3
 * await engine.close();
 * ```
 *
 * @module
 */

import type { Driver } from "../../src/driver.ts";
import { createFsDriver } from "./_driver.ts";
import type { FsDriverOptions } from "./_options.ts";

export type { FsDriverOptions };

/**
 * A driver that keeps task records in the folder `options.dir`. Nothing is
 * touched until an engine opens it.
 *
 * @throws {TypeError} when `dir` is missing or empty.
 * @throws {TypeError} when `durability` is not `"strict"` or `"relaxed"`.
 */
export function fsDriver(options: FsDriverOptions): Driver {
  return createFsDriver(options);
}
