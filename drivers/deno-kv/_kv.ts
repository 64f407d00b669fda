/**
 * The small part of the Deno KV API the driver uses, typed here so the
 * driver type-checks without Deno's types, and the lazy lookup of an
 * implementation: `Deno.openKv` on Deno, the `@deno/kv` package on Node.
 * Nothing runs at import.
 *
 * @module
 */

import { DriverError } from "../../src/driver.ts";

/** One part of a key that stater writes. */
export type KvKeyPart = string | number | bigint | boolean | Uint8Array;
/** One part of a key as read (Deno's type also admits symbols). */
export type KvReadKeyPart = KvKeyPart | symbol;
/** A key: a list of parts. */
export type KvKey = readonly KvKeyPart[];

/** An entry as read: `versionstamp` is `null` when the key is absent. */
export interface KvEntryMaybe {
  /** The key. */
  readonly key: readonly KvReadKeyPart[];
  /** The value (`null` when absent). */
  readonly value: unknown;
  /** The entry's version, or `null` when absent. */
  readonly versionstamp: string | null;
}

/** An atomic operation: checks, then mutations, applied all or nothing. */
export interface KvAtomic {
  /** Applies only if each key still has this versionstamp (`null`: absent). */
  check(...checks: { key: KvKey; versionstamp: string | null }[]): KvAtomic;
  /** Sets a key; with `expireIn`, the store may delete it once that many ms have passed. */
  set(key: KvKey, value: unknown, options?: { expireIn?: number }): KvAtomic;
  /** Deletes a key. */
  delete(key: KvKey): KvAtomic;
  /** Commits: `ok: false` when a check failed. */
  commit(): Promise<{ ok: boolean; versionstamp?: string }>;
}

/**
 * The part of `Deno.Kv` (and of `@deno/kv`'s `Kv`) that the driver uses.
 * Any object with these members works, such as an already open `Deno.Kv`.
 */
export interface KvLike {
  /** Reads one key. */
  get(key: KvKey): Promise<KvEntryMaybe>;
  /** Reads up to 10 keys at once, consistently. */
  getMany(keys: readonly KvKey[]): Promise<KvEntryMaybe[]>;
  /** Lists the entries under a prefix. */
  list(selector: { prefix: KvKey }, options?: { batchSize?: number }): AsyncIterable<KvEntryMaybe>;
  /** Starts an atomic operation. */
  atomic(): KvAtomic;
  /** Closes the store. */
  close(): void;
}

const NAME = "deno-kv";

/** Opens the store at `path` (a file or a KV Connect URL) with the runtime's implementation. */
export async function openKvAt(path: string | undefined): Promise<KvLike> {
  const deno = (globalThis as { Deno?: { openKv?: (path?: string) => Promise<KvLike> } }).Deno;
  let open: (path?: string) => Promise<KvLike>;
  if (deno) {
    if (typeof deno.openKv !== "function") {
      throw new DriverError(
        NAME,
        "The deno-kv driver needs Deno KV, which this Deno exposes only with a flag: " +
          "run with --unstable-kv " +
          '(or add "unstable": ["kv"] to deno.json)',
        { code: "KV_UNAVAILABLE" },
      );
    }
    open = (where) => deno.openKv!(where);
  } else {
    // A computed specifier: bundlers and Deno leave the optional package alone.
    const specifier = "@deno/kv";
    let mod: { openKv?: (path?: string) => Promise<KvLike> };
    try {
      mod = await import(specifier);
    } catch (error) {
      throw new DriverError(
        NAME,
        "The deno-kv driver needs the @deno/kv package outside Deno: run npm install @deno/kv, " +
          "or pass an open store as denoKvDriver({ kv })",
        { code: "KV_UNAVAILABLE", cause: error },
      );
    }
    if (typeof mod.openKv !== "function") {
      throw new DriverError(
        NAME,
        "The deno-kv driver found a @deno/kv package without openKv(): " +
          "run npm install @deno/kv@latest",
        {
          code: "KV_UNAVAILABLE",
        },
      );
    }
    open = mod.openKv;
  }
  try {
    return await open(path);
  } catch (error) {
    throw new DriverError(
      NAME,
      `The deno-kv driver could not open the store at ${path ?? "the default location"}: ${
        messageOf(error)
      }`,
      {
        code: "OPEN_FAILED",
        cause: error,
      },
    );
  }
}

/** The message of any thrown value, first line only (native errors append a backtrace). */
export function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0]!.trim();
}
