/**
 * The deno-kv driver assembled: options, opening and closing the store,
 * and the driver members over `_read.ts`, `_commit.ts`, `_lease.ts` and
 * `_watch.ts`.
 *
 * @module
 */

import {
  checkStorable,
  type Driver,
  type DriverContext,
  DriverError,
  type ListQuery,
  type Serial,
  serial,
  type TaskRecord,
} from "../../src/driver.ts";
import { commitBatch, type CommitContext } from "./_commit.ts";
import { idKeyOf, Keys } from "./_keys.ts";
import { Known } from "./_known.ts";
import { operationLimits } from "./_limits.ts";
import { type KvKeyPart, type KvLike, openKvAt } from "./_kv.ts";
import { Leases } from "./_lease.ts";
import { patient } from "./_retry.ts";
import { listRecords, readRecord, storeFailed } from "./_read.ts";
import { ChangeFeed } from "./_watch.ts";
import { EventReader } from "./_event_reader.ts";
import { Outbox } from "./_outbox.ts";
import type { DenoKvDriverOptions } from "./_options.ts";

interface Session {
  kv: KvLike;
  own: boolean;
  keys: Keys;
  leases: Leases;
  feed: ChangeFeed;
  outbox: Outbox;
  /** What commits work with. */
  commits: CommitContext;
  /** Batches go one at a time, since each relies on what the one before left (`_known.ts`). */
  oneBatchAtATime: Serial;
}

function duration(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(`denoKvDriver() ${name} must be a number of ms, got ${typeof value}`);
  }
  if (!(value > 0) || value === Infinity) {
    throw new RangeError(`denoKvDriver() ${name} must be a positive number of ms, got ${value}`);
  }
  return value;
}

function checkPrefix(prefix: unknown): readonly KvKeyPart[] {
  const isPart = (part: unknown) =>
    ["string", "number", "bigint", "boolean"].includes(typeof part) || part instanceof Uint8Array;
  if (!Array.isArray(prefix) || !prefix.every(isPart)) {
    throw new TypeError(
      "denoKvDriver() prefix must be an array of key parts (strings, numbers, bigints, " +
        'booleans, Uint8Arrays), such as ["stater"]',
    );
  }
  return [...prefix];
}

/** Builds the driver. */
export function createDenoKvDriver(options: DenoKvDriverOptions): Driver {
  if (typeof options !== "object" || options === null) {
    throw new TypeError('denoKvDriver() needs an options object, such as { path: "./stater.kv" }');
  }
  const { path, kv } = options;
  if (path !== undefined && (typeof path !== "string" || path === "")) {
    throw new TypeError(
      "denoKvDriver() path must be a non-empty string: a file or a KV Connect URL",
    );
  }
  if (
    kv !== undefined &&
    (typeof kv !== "object" || kv === null || typeof kv.atomic !== "function" ||
      typeof kv.get !== "function")
  ) {
    throw new TypeError(
      "denoKvDriver() kv must be an open Deno.Kv, such as the result of await Deno.openKv()",
    );
  }
  if (path !== undefined && kv !== undefined) {
    throw new TypeError("denoKvDriver() takes path or kv, not both");
  }
  const prefix = checkPrefix(options.prefix ?? ["stater"]);
  const leaseMs = duration("leaseMs", options.leaseMs, 15_000);
  const renewEveryMs = duration(
    "renewEveryMs",
    options.renewEveryMs,
    Math.min(5000, Math.floor(leaseMs / 3)),
  );
  if (renewEveryMs >= leaseMs) {
    throw new RangeError(
      `denoKvDriver() renewEveryMs (${renewEveryMs}) must be less than leaseMs (${leaseMs})`,
    );
  }
  const pollMs = duration("pollMs", options.pollMs, 250);
  const where = path ?? (kv ? "the given Deno.Kv" : "the default store");
  let session: Session | undefined;

  function live(): Session {
    if (!session) {
      throw new DriverError(
        "deno-kv",
        `The deno-kv driver for ${where} is not open: hand it to createEngine(), which opens it`,
        { code: "NOT_OPEN" },
      );
    }
    return session;
  }

  async function open(context: DriverContext): Promise<void> {
    if (session) {
      throw new DriverError(
        "deno-kv",
        `The deno-kv driver for ${where} is already open: give each engine its own denoKvDriver()`,
        { code: "ALREADY_OPEN" },
      );
    }
    if (!kv && path === undefined && !(globalThis as { Deno?: unknown }).Deno) {
      throw new DriverError(
        "deno-kv",
        "The deno-kv driver needs a store outside Deno: pass denoKvDriver({ path }) or " +
          "denoKvDriver({ kv })",
        { code: "NO_STORE" },
      );
    }
    const given = kv ?? (await openKvAt(path));
    const store = patient(given);
    const limits = await operationLimits(store, prefix);
    const keys = new Keys(prefix);
    const outbox = new Outbox(store, keys, context.owner, context.report);
    session = {
      kv: store,
      own: !kv,
      keys,
      leases: new Leases(store, keys, leaseMs, pollMs, context.report),
      feed: new ChangeFeed(
        store,
        keys,
        context.owner,
        pollMs,
        context.report,
        new EventReader(store, keys, context.owner),
      ),
      outbox,
      commits: { kv: store, keys, owner: context.owner, limits, known: new Known(), outbox },
      oneBatchAtATime: serial(),
    };
  }

  async function get(id: string): Promise<TaskRecord | undefined> {
    const { kv: store, keys } = live();
    try {
      const record = await readRecord(store, keys, await idKeyOf(id));
      return record?.id === id ? record : undefined;
    } catch (error) {
      throw storeFailed(error, `read task "${id}"`);
    }
  }

  async function list(query: ListQuery = {}): Promise<TaskRecord[]> {
    const { kv: store, keys } = live();
    try {
      return await listRecords(store, keys, query);
    } catch (error) {
      throw storeFailed(error, "list tasks");
    }
  }

  return {
    name: "deno-kv",
    renewEveryMs,
    open,
    get,
    list,
    commit: (writes) => {
      const { commits, oneBatchAtATime } = live();
      return oneBatchAtATime(() => commitBatch(commits, writes));
    },
    check(value: unknown, at: string): void {
      checkStorable(value, at);
    },
    acquire: (id, acquireOptions) => live().leases.acquire(id, acquireOptions),
    publish: (event) => session?.outbox.publish(event),
    subscribe: (listener) => live().feed.subscribe(listener),
    async close(): Promise<void> {
      const closing = session;
      if (!closing) return;
      session = undefined;
      closing.feed.stop();
      closing.leases.stop();
      try {
        await closing.outbox.close();
      } finally {
        if (closing.own) closing.kv.close();
      }
    },
  };
}
