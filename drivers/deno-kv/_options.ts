/**
 * The options of `denoKvDriver`.
 *
 * @module
 */

import type { KvKeyPart, KvLike } from "./_kv.ts";

/** Where `denoKvDriver` keeps records, and how it shares them. */
export interface DenoKvDriverOptions {
  /**
   * The store: a file path or a KV Connect URL, opened with `Deno.openKv`
   * on Deno and with `openKv` from `@deno/kv` on Node, and closed when the
   * engine closes. On Deno, omit both `path` and `kv` to open Deno's default
   * store; on Node, one of them is required.
   */
  path?: string;
  /**
   * An already open store, such as a `Deno.Kv`, used instead of `path`.
   * The engine does not close it.
   */
  kv?: KvLike;
  /**
   * The key prefix under which every key of this store lives, so several
   * stores can share one Deno KV database.
   *
   * @default ["stater"]
   */
  prefix?: readonly KvKeyPart[];
  /**
   * How long a lease on a task lasts, in ms: an engine that dies holding
   * tasks delays them this long before another engine takes them over.
   *
   * @default 15000
   */
  leaseMs?: number;
  /**
   * How often an engine renews the leases it holds, in ms; less than `leaseMs`.
   * A renewal that finds the lease taken stops the task in this engine.
   *
   * @default 5000 (a third of `leaseMs` when that is less)
   */
  renewEveryMs?: number;
  /**
   * How often, in ms, a waiting engine looks whether a task's lease is free,
   * and a listening engine whether other engines committed.
   *
   * @default 250
   */
  pollMs?: number;
}
