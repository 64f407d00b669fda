/**
 * Who writes a task's record, with Web Locks.
 *
 * While an engine holds a task's lock, its driver is the only one that
 * writes that task's record, so it knows the stored revision without
 * reading it: a step's commit is a plain put, checked against the revision
 * in memory, in a transaction committed at once (`commit()`), with no read
 * and no round trip before the commit. That is what makes a step cheaper
 * than an `idb-keyval` `set`.
 *
 * Every other write goes where it cannot break that:
 * - a new task (`expectRev: 0`) is a compare-and-set read and write, as
 *   always: nobody can hold a revision of a record that does not exist;
 * - any other write of a task nobody holds takes the task's lock for the
 *   length of its transaction (`ifAvailable`), then reads and writes;
 * - a write of a task held elsewhere (pausing, from another tab, a task that
 *   tab runs) is sent to the holder over a `BroadcastChannel`, which applies
 *   it and answers. When the holder lets go or dies first, the lock frees
 *   and the write is done here instead.
 *
 * Without Web Locks every write is a compare-and-set read and write.
 *
 * @module
 */

import { type Write, writeId, type WriteResult } from "../../src/driver.ts";
import { GIVE_UP_MS, HolderChannel } from "./_holders.ts";
import { lockTask } from "./_ownership.ts";

/** A signal that never aborts, for lock requests that answer at once. */
const NEVER = new AbortController().signal;

/** A task whose lock this driver holds. */
interface Held {
  /** The stored revision, when known (0: no record). */
  rev: number | undefined;
  /** Writes of this task in flight. */
  busy: number;
  /** Set once the lock is on its way out: new writes go the foreign way. */
  releasing: boolean;
  /** Called when `busy` drops to 0. */
  idle?: () => void;
}

/** The three ways a write can be committed; see the module documentation. */
export interface Committers {
  /** Puts without reading, then `commit()`: the holder's fast path. */
  blind(writes: readonly Write[]): Promise<WriteResult[]>;
  /** Compare-and-set: each write reads the stored revision in the same transaction. */
  checked(writes: readonly Write[]): Promise<WriteResult[]>;
}

/** Routes the writes of one driver; see the module documentation. */
export class Writes {
  #held = new Map<string, Held>();
  #holders: HolderChannel;

  constructor(
    private readonly locks: LockManager,
    private readonly lockName: (id: string) => string,
    channelName: string,
    private readonly committers: Committers,
    giveUpMs: number = GIVE_UP_MS,
  ) {
    const holds = (id: string) => {
      const held = this.#held.get(id);
      return held !== undefined && !held.releasing;
    };
    const apply = async (write: Write) => (await this.commit([write]))[0]!;
    this.#holders = new HolderChannel(channelName, holds, apply, giveUpMs);
  }

  /** This driver got the lock of task `id`. */
  held(id: string): void {
    this.#holders.open();
    this.#held.set(id, { rev: undefined, busy: 0, releasing: false });
  }

  /** This driver lets go of task `id`: once its writes in flight are done, the lock may go. */
  async releasing(id: string): Promise<void> {
    const held = this.#held.get(id);
    if (!held) return;
    held.releasing = true;
    if (held.busy > 0) await new Promise<void>((resolve) => (held.idle = resolve));
    if (this.#held.get(id) === held) this.#held.delete(id);
  }

  /** Commits `writes`, of distinct tasks, each the way its task allows; one result per write. */
  async commit(writes: readonly Write[]): Promise<WriteResult[]> {
    const results: WriteResult[] = new Array(writes.length);
    const blind: number[] = [];
    const checked: number[] = [];
    const foreign: number[] = [];
    writes.forEach((write, i) => {
      const held = this.#held.get(writeId(write));
      if (held && !held.releasing) {
        if (
          write.type === "put" && write.expectRev > 0 && held.rev !== undefined && held.busy === 0
        ) {
          if (held.rev === write.expectRev) blind.push(i);
          else results[i] = { ok: false, conflict: true };
        } else checked.push(i);
      } else if (write.type === "put" && write.expectRev === 0) checked.push(i);
      else foreign.push(i);
    });
    await Promise.all([
      this.#commitHeld(writes, blind, results, true),
      this.#commitHeld(writes, checked, results, false),
      this.#commitForeign(writes, foreign, results),
    ]);
    return results;
  }

  /**
   * Commits the writes at `indexes`, of tasks this driver does not hold:
   * those whose locks are free at once in one transaction, under their
   * locks; each of the others by way of {@linkcode #foreign}.
   */
  async #commitForeign(
    writes: readonly Write[],
    indexes: number[],
    results: WriteResult[],
  ): Promise<void> {
    if (indexes.length === 0) return;
    const taking = await Promise.allSettled(indexes.map((i) => {
      const id = writeId(writes[i]!);
      return lockTask(this.locks, this.lockName(id), id, { owner: "", wait: false, signal: NEVER });
    }));
    const leases = taking.map((taken) => (taken.status === "fulfilled" ? taken.value : undefined));
    const free = indexes.filter((_, k) => leases[k]);
    try {
      const refused = taking.find((taken) => taken.status === "rejected");
      if (refused) throw refused.reason;
      if (free.length > 0) {
        const out = await this.committers.checked(free.map((i) => writes[i]!));
        free.forEach((i, k) => (results[i] = out[k]!));
      }
    } finally {
      // Every lock taken goes back, also when another could not be asked for.
      for (const lease of leases) void lease?.release();
    }
    await Promise.all(
      indexes.filter((_, k) => !leases[k]).map(async (
        i,
      ) => (results[i] = await this.#foreign(writes[i]!))),
    );
  }

  /**
   * Commits the writes at `indexes` (of held tasks, or new ones) in one
   * transaction, and keeps the revisions known.
   */
  async #commitHeld(
    writes: readonly Write[],
    indexes: number[],
    results: WriteResult[],
    blind: boolean,
  ): Promise<void> {
    if (indexes.length === 0) return;
    const batch = indexes.map((i) => writes[i]!);
    const helds = batch.map((write) => this.#held.get(writeId(write)));
    for (const held of helds) if (held) held.busy++;
    let out: WriteResult[] | undefined;
    try {
      out = await (blind ? this.committers.blind(batch) : this.committers.checked(batch));
    } finally {
      batch.forEach((write, k) => {
        const held = helds[k];
        if (!held) return;
        const result = out?.[k];
        if (!result) held.rev = undefined; // the transaction failed: read again next time
        else if (result.ok) held.rev = write.type === "put" ? write.record.rev : 0;
        else if (result.conflict) held.rev = undefined;
        if (--held.busy === 0) held.idle?.();
      });
    }
    indexes.forEach((i, k) => (results[i] = out![k]!));
  }

  /** A write of a task this driver does not hold; see {@linkcode HolderChannel.ask}. */
  #foreign(write: Write): Promise<WriteResult> {
    const id = writeId(write);
    return this.#holders.ask(
      write,
      async (signal): Promise<WriteResult | undefined> =>
        await this.locks.request(this.lockName(id), { signal }, async (lock) => {
          // Aborted once the race is decided: the holder answered first.
          if (!lock || signal.aborted) return undefined;
          return (await this.committers.checked([write]))[0]!;
        }),
    );
  }

  /** Closes the channel; writes still waiting for a holder fail with `InvalidStateError`. */
  close(): void {
    this.#holders.close();
  }
}
