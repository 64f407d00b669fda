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

import {
  loadError,
  randomId,
  type StoredError,
  storeError,
  type Write,
  writeId,
  type WriteResult,
} from "../../src/driver.ts";
import { isCloneError, messageOf, notStorable } from "./_errors.ts";
import { lockTask } from "./_ownership.ts";

/** A signal that never aborts, for lock requests that answer at once. */
const NEVER = new AbortController().signal;

/** How long a sender waits for the holder's answer before it looks at the lock again, in ms. */
export const ASK_EVERY_MS = 250;
/** How long a sender keeps trying before it gives up, in ms. */
export const GIVE_UP_MS = 15_000;

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

/** What a holder answers: a result, or a failure of the store. */
type Answer =
  | { req: string; ok: true }
  | { req: string; conflict: true }
  | { req: string; unstorable: string }
  | { req: string; failed: StoredError };

type Message = { ask: string; write: Write } | Answer;

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
  #asking = new Map<string, (answer: Answer) => void>();
  /** The answers to requests this driver applied (or is applying), for a request sent again. */
  #answers = new Map<string, Promise<Answer>>();
  #channel: BroadcastChannel | undefined;
  #closed = false;

  constructor(
    private readonly locks: LockManager,
    private readonly lockName: (id: string) => string,
    private readonly channelName: string,
    private readonly committers: Committers,
    private readonly giveUpMs: number = GIVE_UP_MS,
  ) {}

  /** Opens the channel on which holders are asked to write (at first use). */
  #open(): BroadcastChannel | undefined {
    if (this.#channel || this.#closed || typeof BroadcastChannel !== "function") {
      return this.#channel;
    }
    const channel = new BroadcastChannel(this.channelName);
    channel.onmessage = (event: MessageEvent) => this.#receive(event.data as Message);
    this.#channel = channel;
    return channel;
  }

  /** This driver got the lock of task `id`. */
  held(id: string): void {
    this.#open();
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

  /** Commits the writes at `indexes` (of held tasks, or new ones) in one transaction, and keeps the revisions known. */
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

  /**
   * A write of a task this driver does not hold: queued for the task's lock
   * (granted at once when nobody holds it) while its holder is asked, every
   * {@linkcode ASK_EVERY_MS}, to apply it; whichever comes first does it.
   * When the lock frees just after the holder applied the write, the write
   * done here finds a newer revision and reports a conflict: the caller
   * reads again and sees its own change.
   */
  async #foreign(write: Write): Promise<WriteResult> {
    const id = writeId(write);
    if (this.#closed) throw new DOMException("the driver is closed", "InvalidStateError");
    const req = randomId();
    const ac = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let giveUp: ReturnType<typeof setTimeout> | undefined;
    const answered = new Promise<WriteResult>((resolve, reject) => {
      this.#asking.set(req, (answer) => {
        try {
          resolve(this.#result(answer, write));
        } catch (error) {
          reject(error);
        }
      });
      giveUp = setTimeout(() => {
        reject(
          new DOMException(
            `the tab or worker that runs task "${id}" did not answer for ${
              this.giveUpMs / 1000
            } s; try again`,
            "TimeoutError",
          ),
        );
      }, this.giveUpMs);
    });
    const ask = (): void => {
      try {
        this.#open()?.postMessage({ ask: req, write } satisfies Message);
      } catch (error) {
        this.#asking.get(req)?.(
          isCloneError(error)
            ? { req, unstorable: messageOf(error) }
            : { req, failed: storeError(error) },
        );
        return;
      }
      timer = setTimeout(ask, ASK_EVERY_MS);
    };
    const locked = this.locks.request(this.lockName(id), { signal: ac.signal }, (lock) => {
      // Aborted once the race below is decided: the holder answered first.
      if (!lock || ac.signal.aborted) return undefined;
      return this.committers.checked([write]).then((results) => results[0]!);
    }).catch((error: unknown) => {
      if (ac.signal.aborted) return undefined;
      throw error;
    });
    answered.catch(() => {});
    ask();
    try {
      return await Promise.race([answered, locked.then((result) => result ?? answered)]);
    } finally {
      clearTimeout(timer);
      clearTimeout(giveUp);
      this.#asking.delete(req);
      ac.abort();
      await locked.catch(() => {});
    }
  }

  #result(answer: Answer, write: Write): WriteResult {
    if ("ok" in answer) return { ok: true };
    if ("conflict" in answer) return { ok: false, conflict: true };
    if ("unstorable" in answer && write.type === "put") {
      return {
        ok: false,
        error: notStorable(write.record, new DOMException(answer.unstorable, "DataCloneError")),
      };
    }
    throw loadError(
      "failed" in answer
        ? answer.failed
        : { name: "Error", message: "the holder could not store it" },
    );
  }

  #receive(message: Message): void {
    if ("ask" in message) void this.#serve(message.ask, message.write);
    else this.#asking.get(message.req)?.(message);
  }

  /** Applies a write another driver asked for, if this driver holds its task, and answers (once per request, however often it is asked). */
  async #serve(req: string, write: Write): Promise<void> {
    let answer = this.#answers.get(req);
    if (!answer) {
      const held = this.#held.get(writeId(write));
      if (!held || held.releasing) return;
      answer = this.#apply(req, write);
      this.#answers.set(req, answer);
      if (this.#answers.size > 256) this.#answers.delete(this.#answers.keys().next().value!);
    }
    const answered = await answer;
    try {
      this.#channel?.postMessage(answered);
    } catch { /* the channel closed with the driver */ }
  }

  async #apply(req: string, write: Write): Promise<Answer> {
    try {
      const [result] = await this.commit([write]);
      if (result!.ok) return { req, ok: true };
      if (result!.conflict) return { req, conflict: true };
      return { req, unstorable: result!.error.message };
    } catch (error) {
      return { req, failed: storeError(error) };
    }
  }

  /** Closes the channel; writes still waiting for a holder fail with `InvalidStateError`. */
  close(): void {
    this.#closed = true;
    this.#channel?.close();
    this.#channel = undefined;
    for (const [req, answer] of [...this.#asking]) {
      answer({
        req,
        failed: {
          name: "InvalidStateError",
          message: "the driver was closed while the write waited for the task's holder",
        },
      });
    }
  }
}
