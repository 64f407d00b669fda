/**
 * Per-task ownership by leases: the key `[...prefix, "lease", idKey]` holds
 * `["l2", owner, expiresAt, process]` as bytes (`process`: the holder's
 * process id, host, boot id and start time, or null; `["l1", owner,
 * expiresAt]` from earlier versions reads the same, without it). A lease is
 * taken with an atomic check that the key is unchanged since it was read
 * free, expired or held by a dead process, renewed with a check that nobody
 * wrote it since our last write, and released (deleted) under the same
 * check. So at most one engine holds a task at a time, across processes,
 * Deno and Node alike. A dead owner's lease is taken over at once when its
 * process ran on this host and is provably gone (`../_process.ts`), else
 * once it expires. Expiry compares wall clocks, so the machines sharing a
 * store need clocks that agree to well within a lease.
 *
 * @module
 */

import {
  type AcquireOptions,
  DriverError,
  type Lease,
  OwnershipLostError,
  serial,
} from "../../src/driver.ts";
import { type IdKey, idKeyOf, type Keys, showIdKey } from "./_keys.ts";
import type { KvEntryMaybe, KvKey, KvLike } from "./_kv.ts";
import { storeFailed } from "./_read.ts";
import { LeaseWaits } from "./_wait.ts";
import {
  goneReason,
  missingProcessFlags,
  PROCESS_FLAGS,
  type ProcessInfo,
  thisProcess,
} from "../_process.ts";

const utf8 = new TextEncoder();
/** How long a holder process found alive is taken as alive without looking again, in ms. */
const ALIVE_FOR_MS = 1000;
const text = new TextDecoder();

/** A lease as stored. */
export interface LeaseHolder {
  owner: string;
  expiresAt: number;
  /** The holder's process, when it could tell. */
  process?: Partial<ProcessInfo>;
}

/** The holder of a lease as stored, or `undefined` for a value that is not one (free). */
export function parseLease(value: unknown): LeaseHolder | undefined {
  if (!(value instanceof Uint8Array)) return undefined;
  try {
    const fields = JSON.parse(text.decode(value));
    if (
      Array.isArray(fields) && (fields[0] === "l1" || fields[0] === "l2") &&
      typeof fields[1] === "string" && typeof fields[2] === "number"
    ) {
      const holder: LeaseHolder = { owner: fields[1], expiresAt: fields[2] };
      const named = fields[3];
      if (fields[0] === "l2" && typeof named === "object" && named !== null) {
        holder.process = named;
      }
      return holder;
    }
  } catch {
    // Not a lease: free to take.
  }
  return undefined;
}

function leaseBytes(
  owner: string,
  expiresAt: number,
  process: ProcessInfo | undefined,
): Uint8Array {
  return utf8.encode(JSON.stringify(["l2", owner, expiresAt, process ?? null]));
}

/** Leases of one store. */
export class Leases {
  readonly #waits: LeaseWaits;
  /** This process, once known (undefined where the platform will not say). */
  readonly #me: Promise<ProcessInfo | undefined> = thisProcess();
  /** What the last look at a holder process of this host found (a gone process stays gone). */
  readonly #looked = new Map<string, { gone: boolean; at: number }>();
  /** Whether this store said why a held lease cannot be taken over before it expires. */
  #advised = false;

  constructor(
    private readonly kv: KvLike,
    private readonly keys: Keys,
    private readonly leaseMs: number,
    pollMs: number,
    private readonly report: (error: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.#waits = new LeaseWaits(kv, (key, owner, entry) => this.#take(key, owner, entry), pollMs);
  }

  /** Stops waiting for leases (the store is closing). */
  stop(): void {
    this.#waits.stop();
  }

  /**
   * Writes our lease if `read` (read now when not given) shows it free or
   * expired: the new versionstamp, or `undefined` when it is held.
   */
  async #take(key: KvKey, owner: string, read?: KvEntryMaybe): Promise<string | undefined> {
    const entry = read ?? await this.kv.get(key);
    const holder = entry.versionstamp === null ? undefined : parseLease(entry.value);
    const me = await this.#me;
    if (holder && holder.expiresAt > this.now() && !(await this.#gone(holder, me))) {
      this.#adviseOnce(key, holder, me);
      return undefined;
    }
    const result = await this.kv.atomic().check({ key, versionstamp: entry.versionstamp })
      .set(key, leaseBytes(owner, this.now() + this.leaseMs, me)).commit();
    return result.ok ? result.versionstamp : undefined;
  }

  /**
   * Whether a lease not yet expired belongs to a process of this host that
   * is provably gone; this very process is not (an engine restarted with
   * the same `owner` takes over at once what its dead predecessor held).
   */
  async #gone(holder: LeaseHolder, me: ProcessInfo | undefined): Promise<boolean> {
    if (!me || !holder.process || holder.process.host !== me.host) return false;
    // One look per holder process a second at most, however many of its leases are waited for.
    const key = `${holder.process.pid}:${holder.process.start ?? ""}`;
    const seen = this.#looked.get(key);
    if (seen && (seen.gone || this.now() - seen.at < ALIVE_FOR_MS)) return seen.gone;
    const gone = (await goneReason(holder.process, me)) !== undefined;
    if (this.#looked.size > 1000) this.#looked.clear();
    this.#looked.set(key, { gone, at: this.now() });
    return gone;
  }

  /**
   * Says once, as an `error` event, that a lease held by another engine is
   * waited out to its expiry where a flag would let this engine tell
   * whether its holder is gone: Deno not allowed to name this process or
   * to check another, or a holder that named no process.
   */
  #adviseOnce(key: KvKey, holder: LeaseHolder, me: ProcessInfo | undefined): void {
    const here = me && holder.process?.host === me.host;
    if (this.#advised || (here && holder.process?.pid === me.pid)) return;
    const missing = missingProcessFlags();
    const local = !me || !holder.process || here;
    let why: string;
    if (missing.length > 0 && local) {
      why = `this Deno process runs without ${missing.join(" and ")}, so it cannot tell ` +
        "whether the engine holding it is gone";
    } else if (me && !holder.process) {
      why = "the engine holding it named no process (a Deno process run without " +
        `${PROCESS_FLAGS[0]}, or an older stater)`;
    } else return;
    this.#advised = true;
    const task = showIdKey(key[key.length - 1] as IdKey);
    const seconds = Math.ceil((holder.expiresAt - this.now()) / 1000);
    this.report(
      new DriverError(
        "deno-kv",
        `Task ${task} is held by another engine's lease, and ${why}: if that engine died, its ` +
          `tasks are taken over only when their leases expire (this one in ${seconds} s; leases ` +
          `last leaseMs, ${this.leaseMs} ms here). Run every Deno process that shares the store ` +
          `with ${PROCESS_FLAGS.join(" ")} to take over at once the tasks of an engine that died ` +
          "on this host",
        { code: "TAKEOVER_AT_EXPIRY" },
      ),
    );
  }

  /** Takes the lease on task `id`; with `wait`, polls (`_wait.ts`) till free or `signal` aborts. */
  async acquire(id: string, options: AcquireOptions): Promise<Lease | undefined> {
    const { owner, wait, signal } = options;
    const key = this.keys.lease(await idKeyOf(id));
    let stamp: string | undefined;
    try {
      if (signal.aborted) return undefined;
      stamp = await this.#take(key, owner);
      if (stamp === undefined && wait) stamp = await this.#waits.wait(key, owner, signal);
    } catch (error) {
      throw storeFailed(error, `take the lease of task "${id}"`);
    }
    if (stamp === undefined) return undefined;
    const lease = this.#lease(id, key, owner, stamp);
    if (signal.aborted) {
      await lease.release();
      return undefined;
    }
    return lease;
  }

  #lease(id: string, key: KvKey, owner: string, first: string): Lease {
    const kv = this.kv;
    const lost = new AbortController();
    let stamp = first;
    let released = false;
    // Renewals and the release run one after the other, each checking the versionstamp the last
    // one left.
    const oneAtATime = serial();
    return {
      id,
      lost: lost.signal,
      renew: () =>
        oneAtATime(async () => {
          if (released) return;
          if (lost.signal.aborted) throw lost.signal.reason;
          let result;
          try {
            const me = await this.#me;
            result = await kv.atomic().check({ key, versionstamp: stamp }).set(
              key,
              leaseBytes(owner, this.now() + this.leaseMs, me),
            ).commit();
          } catch (error) {
            throw storeFailed(error, `renew the lease of task "${id}"`);
          }
          if (result.ok && result.versionstamp) {
            stamp = result.versionstamp;
            return;
          }
          const error = new OwnershipLostError(
            id,
            "its deno-kv lease expired and another engine took it",
          );
          lost.abort(error);
          throw error;
        }),
      release: () =>
        oneAtATime(async () => {
          if (released) return;
          released = true;
          if (lost.signal.aborted) return;
          try {
            await kv.atomic().check({ key, versionstamp: stamp }).delete(key).commit();
          } catch (error) {
            throw storeFailed(error, `release the lease of task "${id}"`);
          }
        }),
    };
  }
}
