/**
 * Per-task ownership by leases in the table (see `_take.ts` for when a
 * lease is free). The driver remembers the token of each lease it holds:
 * commits of that task are fenced by it (`_batch_sql.ts`), so a worker
 * that lost its lease can never commit. A lease is lost when a renewal or a
 * fenced commit finds another token; its `lost` signal then aborts.
 *
 * Waiting for a lease: one loop tries every waited task in one statement
 * every `pollMs`, and at once when another engine frees a lease
 * (`wake`, from a notification).
 *
 * @module
 */

import { type AcquireOptions, type Lease, OwnershipLostError, serial } from "../../src/driver.ts";
import { coalesce } from "./_coalesce.ts";
import type { Database } from "./_pg.ts";
import { keyOf } from "./_record.ts";
import type { Names } from "./_schema.ts";
import { extend, free, take, type Taker, type TakeRow } from "./_take.ts";
import { goneReason, type ProcessInfo, thisProcess } from "../_process.ts";

/** How long a holder process found alive is taken as alive without looking again, in ms. */
const ALIVE_FOR_MS = 1000;

interface Held {
  token: string;
  lost: AbortController;
  /** When a commit or a renewal last extended it (this process's clock). */
  extendedAt: number;
}

interface Waiter {
  key: string;
  owner: string;
  signal: AbortSignal;
  done(row: TakeRow | undefined, error?: unknown): void;
}

/** The leases of one driver. */
export class Leases {
  readonly #held = new Map<string, Held>();
  readonly #waiters = new Set<Waiter>();
  readonly #me: Promise<ProcessInfo | undefined> = thisProcess();
  readonly #looked = new Map<string, { gone: boolean; at: number }>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #polling = false;
  #stopped = false;
  readonly #renew = coalesce((leases: { key: string; token: string }[]) =>
    extend(this.db, this.names, leases, this.leaseMs, this.session())
      .then((kept) => leases.map((l) => kept.has(l.key)))
  );
  readonly #release = coalesce(async (leases: { key: string; token: string }[]) => {
    await free(this.db, this.names, leases, this.freePayloads(leases.map((l) => l.key)));
    return leases.map(() => undefined);
  });

  constructor(
    private readonly db: Database,
    private readonly names: Names,
    private readonly leaseMs: number,
    private readonly renewEveryMs: number,
    private readonly pollMs: number,
    private readonly session: () => number | null,
    private readonly freePayloads: (keys: string[]) => string[],
    /** Resolves once the commits told before now have reached the engine. */
    private readonly heard: () => Promise<void> = () => Promise.resolve(),
  ) {}

  /** The token of the lease held on `key`, to fence its commits. */
  fence(key: string): string | undefined {
    return this.#held.get(key)?.token;
  }

  /** A fenced commit found another token: the lease on `key` is lost. */
  lost(key: string): void {
    const held = this.#held.get(key);
    if (!held) return;
    this.#held.delete(key);
    held.lost.abort(new OwnershipLostError(key, "another engine took its postgres lease"));
  }

  /** A fenced commit extended the lease on `key`. */
  extended(key: string): void {
    const held = this.#held.get(key);
    if (held) held.extendedAt = Date.now();
  }

  /** Other engines freed the leases of `keys`: try them now. */
  wake(keys: string[]): void {
    const wanted = new Set(keys);
    if ([...this.#waiters].some((w) => wanted.has(w.key))) this.#schedule(0);
  }

  /** Stops waiting; waiting calls resolve `undefined`. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const waiter of [...this.#waiters]) waiter.done(undefined);
  }

  async #taker(owner: string): Promise<Taker> {
    const me = await this.#me;
    return {
      owner,
      leaseMs: this.leaseMs,
      session: this.session(),
      process: me ? JSON.stringify(me) : null,
    };
  }

  /** Takes what it can of `keys`; held leases of gone local processes are taken too. */
  async #take(keys: string[], owner: string): Promise<TakeRow[]> {
    const taker = await this.#taker(owner);
    const rows = await take(this.db, this.names, keys, taker);
    const me = await this.#me;
    const gone: string[] = [];
    for (const row of rows) {
      if (!row.taken && row.token && me && (await this.#gone(row, me))) gone.push(row.token);
    }
    if (gone.length === 0) return rows;
    const again = new Map(
      (await take(
        this.db,
        this.names,
        rows.filter((r) => r.token && gone.includes(r.token))
          .map((r) => r.key),
        taker,
        gone,
      )).map((r) => [r.key, r]),
    );
    return rows.map((row) => again.get(row.key) ?? row);
  }

  /** Whether the holder of `row` is a process of this host that is provably gone. */
  async #gone(row: TakeRow, me: ProcessInfo): Promise<boolean> {
    const holder = row.process;
    if (!holder || holder.host !== me.host || typeof holder.pid !== "number") return false;
    const id = `${holder.pid}:${holder.start ?? ""}`;
    const seen = this.#looked.get(id);
    if (seen && (seen.gone || Date.now() - seen.at < ALIVE_FOR_MS)) return seen.gone;
    const gone = (await goneReason(holder, me)) !== undefined;
    if (this.#looked.size > 1000) this.#looked.clear();
    this.#looked.set(id, { gone, at: Date.now() });
    return gone;
  }

  /** Takes the lease on task `id`; with `wait`, until it is free or `signal` aborts. */
  async acquire(id: string, options: AcquireOptions): Promise<Lease | undefined> {
    const { owner, wait, signal } = options;
    if (signal.aborted || this.#stopped) return undefined;
    const key = await keyOf(id);
    let row: TakeRow | undefined = (await this.#take([key], owner))[0];
    if (row && !row.taken) {
      row = wait ? await this.#wait(key, owner, signal) : undefined;
      if (!row) return undefined;
      // The engine learns the holder's last commits before it runs the task.
      await this.heard();
    }
    const lease = this.#lease(id, key, row?.token ?? undefined);
    if (signal.aborted) {
      await lease.release();
      return undefined;
    }
    return lease;
  }

  #wait(key: string, owner: string, signal: AbortSignal): Promise<TakeRow | undefined> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        key,
        owner,
        signal,
        done: (row, error) => {
          this.#waiters.delete(waiter);
          signal.removeEventListener("abort", onAbort);
          if (error !== undefined) reject(error);
          else resolve(row);
        },
      };
      const onAbort = () => waiter.done(undefined);
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiters.add(waiter);
      this.#schedule(this.pollMs);
    });
  }

  #schedule(ms: number): void {
    if (this.#stopped || this.#waiters.size === 0) return;
    if (this.#timer !== undefined) {
      if (ms > 0) return;
      clearTimeout(this.#timer);
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#polling) return this.#schedule(this.pollMs);
      this.#polling = true;
      this.#poll().finally(() => {
        this.#polling = false;
        this.#schedule(this.pollMs);
      });
    }, ms);
  }

  async #poll(): Promise<void> {
    const waiters = [...this.#waiters].filter((w) => !w.signal.aborted);
    // One statement per owner (a driver serves one engine: one owner).
    for (const owner of new Set(waiters.map((w) => w.owner))) {
      const mine = waiters.filter((w) => w.owner === owner);
      let rows: Map<string, TakeRow>;
      try {
        const keys = [...new Set(mine.map((w) => w.key))];
        rows = new Map((await this.#take(keys, owner)).map((r) => [r.key, r]));
      } catch (error) {
        for (const waiter of mine) waiter.done(undefined, error);
        continue;
      }
      for (const waiter of mine) {
        const row = rows.get(waiter.key);
        if (!row || row.taken) waiter.done(row);
      }
    }
  }

  #lease(id: string, key: string, token: string | undefined): Lease {
    const lost = new AbortController();
    if (token === undefined) {
      // No such task: nothing to hold; the engine finds it gone.
      return { id, lost: lost.signal, release: () => {} };
    }
    const held: Held = { token, lost, extendedAt: Date.now() };
    this.#held.set(key, held);
    let released = false;
    const oneAtATime = serial();
    return {
      id,
      lost: lost.signal,
      renew: () =>
        oneAtATime(async () => {
          if (released) return;
          if (lost.signal.aborted) throw lost.signal.reason;
          // A commit extended it recently: nothing to do yet.
          if (Date.now() - held.extendedAt < this.renewEveryMs / 2) return;
          if (await this.#renew({ key, token })) {
            held.extendedAt = Date.now();
            return;
          }
          const error = new OwnershipLostError(
            id,
            "its postgres lease expired and another took it",
          );
          if (this.#held.get(key) === held) this.#held.delete(key);
          lost.abort(error);
          throw error;
        }),
      release: () =>
        oneAtATime(async () => {
          if (released) return;
          released = true;
          if (this.#held.get(key) === held) this.#held.delete(key);
          if (lost.signal.aborted) return;
          await this.#release({ key, token });
        }),
    };
  }
}
