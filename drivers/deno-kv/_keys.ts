/**
 * The key layout of a store under `prefix`, and the limits of Deno KV.
 *
 * | key | value |
 * |---|---|
 * | `[...prefix, "task", idKey]` | the record's head, and its body when it fits (`_record.ts`) |
 * | `[...prefix, "chunk", idKey, nonce, i]` | part `i` of a body too large for one value |
 * | `[...prefix, "by-status", status, idKey]` | the record's head: the status index |
 * | `[...prefix, "lease", idKey]` | who steps the task, until when (`_lease.ts`) |
 * | `[...prefix, "clock"]` | rewritten by every commit, so other engines notice changes |
 * | `[...prefix, "events", owner, seq]` | what an engine published (`_outbox.ts`) |
 * | `[...prefix, "events-clock"]` | rewritten with every write of events |
 *
 * `idKey` is the task id itself, or, for an id longer than
 * {@linkcode MAX_ID_BYTES} in UTF-8, its SHA-256 digest as bytes (a key has at
 * most 2 KiB); the full id is always in the record.
 *
 * @module
 */

import type { TaskStatus } from "../../src/driver.ts";
import type { KvKey, KvKeyPart } from "./_kv.ts";

/** Deno KV refuses values larger than this many bytes. */
export const MAX_VALUE_BYTES = 65_536;
/** Ids longer than this (UTF-8 bytes) are keyed by their digest. */
export const MAX_ID_BYTES = 256;
/**
 * What one atomic operation may hold, kept under Deno KV's limits (1000
 * mutations, 80 KiB of keys, 800 KiB in all; 100 checks on Deno, 10 through
 * `@deno/kv`, so at most 10 records go in one operation).
 */
export const ATOMIC_LIMITS = {
  checks: 10,
  mutations: 900,
  keyBytes: 72_000,
  bytes: 760_000,
} as const;

/** The id's key part: the id, or its digest when long. */
export type IdKey = string | Uint8Array;

const utf8 = new TextEncoder();

/** The key part for task `id`. */
export async function idKeyOf(id: string): Promise<IdKey> {
  const bytes = utf8.encode(id);
  if (bytes.length <= MAX_ID_BYTES) return id;
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/** A printable form of an id key, for messages. */
export function showIdKey(idKey: IdKey): string {
  if (typeof idKey === "string") {
    return JSON.stringify(idKey.length > 60 ? `${idKey.slice(0, 60)}…` : idKey);
  }
  return `<sha-256 ${
    Array.from(idKey.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("")
  }…>`;
}

/** An upper bound of a key's encoded size, in bytes. */
export function keyBytes(key: KvKey): number {
  let n = 0;
  for (const part of key) {
    // Strings and bytes end with a 0 byte and escape each 0 inside them as two bytes.
    if (typeof part === "string") n += utf8.encode(part).length + part.split("\0").length + 1;
    else if (part instanceof Uint8Array) n += part.length + part.filter((b) => b === 0).length + 2;
    else n += 10;
  }
  return n;
}

/** The keys of one store. */
export class Keys {
  readonly prefix: readonly KvKeyPart[];
  readonly clock: KvKey;
  readonly eventsClock: KvKey;
  /** All event entries. */
  readonly events: KvKey;

  constructor(prefix: readonly KvKeyPart[]) {
    this.prefix = prefix;
    this.clock = [...prefix, "clock"];
    this.eventsClock = [...prefix, "events-clock"];
    this.events = [...prefix, "events"];
  }

  /** Entry `seq` of the events `owner` published. */
  event(owner: string, seq: number): KvKey {
    return [...this.prefix, "events", owner, seq];
  }

  /** The record's key. */
  task(idKey: IdKey): KvKey {
    return [...this.prefix, "task", idKey];
  }

  /** All record keys. */
  get tasks(): KvKey {
    return [...this.prefix, "task"];
  }

  /** Part `i` of a record body written with `nonce`. */
  chunk(idKey: IdKey, nonce: string, i: number): KvKey {
    return [...this.prefix, "chunk", idKey, nonce, i];
  }

  /** The status index entry. */
  status(status: TaskStatus, idKey: IdKey): KvKey {
    return [...this.prefix, "by-status", status, idKey];
  }

  /** All index entries of one status. */
  statuses(status: TaskStatus): KvKey {
    return [...this.prefix, "by-status", status];
  }

  /** The lease of a task. */
  lease(idKey: IdKey): KvKey {
    return [...this.prefix, "lease", idKey];
  }
}
