/**
 * `denoKvDriver({ path } | { kv })`: task records in Deno KV, on Deno
 * (`Deno.openKv`, run with `--unstable-kv`) and on Node (the `@deno/kv`
 * package). Several engines, in several processes, Deno and Node mixed, may
 * share one store: each task is stepped by one engine at a time, which holds
 * a lease on it (owner + expiry, renewed while it runs); the tasks of an
 * engine that died are taken over once its leases expire. Through a KV
 * Connect URL the same driver reaches a remote Deno KV.
 *
 * - Records are stored as bytes from the core codec, never as JS values, so
 *   Deno and Node read each other's records. A record larger than one value
 *   (64 KiB) is cut into chunks written in the same atomic operation; one
 *   larger than what an atomic operation carries (about 700 KB) is refused
 *   with `StateNotStorableError`.
 * - A commit batch is written with as few atomic operations as Deno KV's
 *   limits allow: atomicity is per record, and a conflict on one record
 *   fails only its own writes. While no other engine commits, one check on
 *   the store's clock stands for every record the driver wrote last, so a
 *   batch of many tasks' steps is one operation.
 * - A status index makes `list({ status })` read only tasks of those
 *   statuses, so opening a store costs O(active tasks).
 * - Engines notice each other's commits by polling one key every `pollMs`
 *   (and scanning the unfinished tasks when it changed); progress,
 *   messages and removals ride along with an engine's commits (or follow
 *   within 50 ms) and reach the other engines in the same poll.
 *
 * @example
 * ```ts
 * import { createEngine } from "stater";
 * import { denoKvDriver } from "stater/drivers/deno-kv";
 *
 * // A file such as "./stater.kv" survives restarts; ":memory:" keeps this example self-contained.
 * const engine = await createEngine({
 *   driver: denoKvDriver({ path: ":memory:" }),
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
import { createDenoKvDriver } from "./_driver.ts";
import type { DenoKvDriverOptions } from "./_options.ts";

export type { DenoKvDriverOptions };
export type { KvAtomic, KvEntryMaybe, KvKey, KvKeyPart, KvLike, KvReadKeyPart } from "./_kv.ts";

/**
 * A driver that keeps task records in Deno KV. Nothing is opened and no
 * runtime global is looked up until an engine opens it.
 *
 * @throws {TypeError} when both `path` and `kv` are given, or an option has the wrong type.
 * @throws {RangeError} when a duration is not positive, or `renewEveryMs` is not less than
 * `leaseMs`.
 */
export function denoKvDriver(options: DenoKvDriverOptions = {}): Driver {
  return createDenoKvDriver(options);
}
