/**
 * What one Deno KV atomic operation may hold. Deno KV refuses an operation
 * with more than 1000 mutations, 80 KiB of keys or 800 KiB in all; checks
 * are capped at 100 by Deno and by a KV Connect server, but at 10 by the
 * `@deno/kv` package on Node. The driver keeps a margin under the sizes and
 * asks the store which check limit it has when it opens
 * ({@linkcode operationLimits}): one operation with 100 checks, and 10 when
 * that one is refused (or fails: the first real operation then says why).
 * The checks are on keys that are never written, and nothing else is in the
 * operation, so the store is left as it was.
 *
 * @module
 */

import type { KvKey, KvLike } from "./_kv.ts";

/** The limits the driver packs operations under. */
export interface OperationLimits {
  /** Checks in one operation. */
  readonly checks: number;
  /** Mutations (sets and deletes) in one operation. */
  readonly mutations: number;
  /** Bytes of keys in one operation (an upper bound, see `keyBytes`). */
  readonly keyBytes: number;
  /** Bytes of keys and values in one operation. */
  readonly bytes: number;
}

/** The sizes, under Deno KV's own with a margin; checks as `@deno/kv` allows them. */
export const ATOMIC_LIMITS: OperationLimits = {
  checks: 10,
  mutations: 900,
  keyBytes: 72_000,
  bytes: 760_000,
};

/** The most checks any Deno KV takes in one operation. */
const MOST_CHECKS = 100;

/** The limits of the store `kv`, whose keys live under `prefix`. */
export async function operationLimits(
  kv: KvLike,
  prefix: readonly KvKey[number][],
): Promise<OperationLimits> {
  const operation = kv.atomic();
  for (let index = 0; index < MOST_CHECKS; index++) {
    operation.check({ key: [...prefix, "check-limit", index], versionstamp: null });
  }
  try {
    await operation.commit();
  } catch {
    // Too many checks for this store; or it fails, which the first real operation will report.
    return ATOMIC_LIMITS;
  }
  return { ...ATOMIC_LIMITS, checks: MOST_CHECKS };
}
