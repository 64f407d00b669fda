/**
 * Progress reports, messages and removals between engines on one store
 * (what the store's records do not say): the writing side. The reading
 * side is `_event_reader.ts`.
 *
 * An engine's published events wait in an {@linkcode Outbox}. They are
 * written with the engine's next commit, in the same atomic operation, so
 * another engine reads the messages of a step no later than the step's
 * commit; when no commit comes within {@linkcode FLUSH_MS} (a long step, a
 * checkpoint every few steps), they are written by themselves. Progress is
 * coalesced to the latest report of each task; every message and removal
 * is kept, in order.
 *
 * Each write is one entry `[...prefix, "events", owner, seq]` holding the
 * events as codec bytes, expiring after {@linkcode EXPIRE_MS}; the engine
 * deletes its own entries older than {@linkcode KEEP} writes, and bumps
 * `[...prefix, "events-clock"]`. Other engines poll that clock with the
 * change feed and read the entries newer than the last they saw of each
 * owner (`_event_reader.ts`). A message the codec cannot store, or
 * larger than {@linkcode MAX_EVENT_BYTES} once encoded, stays within its
 * engine.
 *
 * @module
 */

import { type DriverEvent, encode } from "../../src/driver.ts";
import { EventQueue } from "../_event_queue.ts";
import type { Keys } from "./_keys.ts";
import type { KvKey, KvLike } from "./_kv.ts";

/** The longest an event waits for a commit to ride with, in ms. */
export const FLUSH_MS = 50;
/** How long an entry lives in the store, in ms. */
export const EXPIRE_MS = 60_000;
/** How many of its latest entries an engine keeps. */
export const KEEP = 64;
/** The largest event that goes to other engines, encoded, in bytes. */
export const MAX_EVENT_BYTES = 32_768;
/** The most bytes of events in one entry. */
const ENTRY_BYTES = 60_000;
/** The most entries one write adds, so that it fits an atomic operation beside a commit. */
export const ENTRIES_PER_WRITE = 4;

const utf8 = new TextEncoder();

/** Mutations that write a batch of events. */
export interface EventWrite {
  sets: { key: KvKey; value: Uint8Array; expireIn?: number }[];
  deletes: KvKey[];
  bytes: number;
  /** The events, to queue again if the write fails. */
  events: DriverEvent[];
}

/** One engine's events on their way out. */
export class Outbox {
  #queue = new EventQueue();
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Starts from the clock, so an owner that comes back (a fixed `owner`) still counts up. */
  #seq = Date.now() * 1000;
  #closed = false;
  /** The write of events by themselves in flight, if any. */
  #writing: Promise<void> | undefined;
  /** When events were last taken to be written. */
  #lastTaken = 0;
  /** Queued events that are not progress reports (messages, removals). */
  #urgent = 0;

  constructor(
    private readonly kv: KvLike,
    private readonly keys: Keys,
    private readonly owner: string,
    private readonly report: (error: unknown) => void,
  ) {}

  /** Queues `event` (commits are left to the change feed). */
  publish(event: DriverEvent): void {
    if (this.#closed || event.type === "commit" || !this.#queue.push(event)) return;
    if (event.type !== "progress") this.#urgent++;
    this.#timer ??= setTimeout(() => this.#due(), FLUSH_MS);
  }

  /** The timer: writes what waits, unless a commit took events less than `FLUSH_MS` ago. */
  #due(): void {
    this.#timer = undefined;
    const wait = this.#lastTaken + FLUSH_MS - Date.now();
    if (wait > 0 && this.#urgent === 0 && this.#queue.length > 0) {
      this.#timer = setTimeout(() => this.#due(), wait);
    } else void this.flush();
  }

  /**
   * What a commit takes along (see {@linkcode take}). A plain step's commit
   * takes progress reports only every {@linkcode FLUSH_MS}, so that a task
   * reporting progress at every step does not write them at every step;
   * messages and removals, and anything before a status change, always go.
   */
  takeFor(statusChange: boolean): EventWrite | undefined {
    if (!statusChange && this.#urgent === 0 && Date.now() - this.#lastTaken < FLUSH_MS) {
      return undefined;
    }
    return this.take();
  }

  /**
   * Takes what is queued (at most {@linkcode ENTRIES_PER_WRITE} entries'
   * worth; the rest waits for the next write), as mutations for an atomic
   * operation; undefined when nothing is.
   */
  take(): EventWrite | undefined {
    if (this.#queue.length === 0) return undefined;
    const queued = this.#queue.take();
    this.#urgent = 0;
    this.#lastTaken = Date.now();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const parts: string[] = [];
    let size = 0;
    const sets: EventWrite["sets"] = [];
    const close = () => {
      if (parts.length === 0) return;
      const seq = ++this.#seq;
      sets.push({
        key: this.keys.event(this.owner, seq),
        value: utf8.encode(`[${parts.join(",")}]`),
        expireIn: EXPIRE_MS,
      });
      parts.length = 0;
      size = 0;
    };
    let taken = 0;
    for (; taken < queued.length; taken++) {
      let text: string;
      try {
        text = encode(queued[taken], "message");
      } catch {
        continue; // a message the codec refuses stays within this engine
      }
      if (text.length * 3 > MAX_EVENT_BYTES && utf8.encode(text).length > MAX_EVENT_BYTES) continue;
      if (size + text.length * 3 > ENTRY_BYTES) {
        close();
        if (sets.length === ENTRIES_PER_WRITE) break;
      }
      parts.push(text);
      size += text.length * 3;
    }
    close();
    // What did not fit waits, ahead of what comes next.
    for (const event of queued.slice(taken)) this.publish(event);
    if (sets.length === 0) return undefined;
    sets.push({ key: this.keys.eventsClock, value: crypto.getRandomValues(new Uint8Array(8)) });
    const deletes = sets.slice(0, -1).map((_, index) =>
      this.keys.event(this.owner, this.#seq - KEEP - index)
    );
    const bytes = sets.reduce((sum, set) => sum + set.value.length + 64, 0) +
      deletes.length * 64;
    return { sets, deletes, bytes, events: queued.slice(0, taken) };
  }

  /** Queues the events of a write that did not land again, ahead of newer ones. */
  restore(write: EventWrite): void {
    const newer = this.#queue.take();
    this.#urgent = 0;
    for (const event of [...write.events, ...newer]) this.publish(event);
  }

  /** Whether events wait in the outbox (what the last `take()` left, or published since). */
  get pending(): boolean {
    return this.#queue.length > 0;
  }

  /** Writes `write` (from `take()`) by itself. */
  write(write: EventWrite): Promise<void> {
    const atomic = this.kv.atomic();
    for (const set of write.sets) {
      atomic.set(
        set.key,
        set.value,
        set.expireIn === undefined ? undefined : { expireIn: set.expireIn },
      );
    }
    for (const key of write.deletes) atomic.delete(key);
    const writing = atomic.commit().then(() => {}, (error) => this.report(error));
    this.#writing = writing;
    void writing.finally(() => {
      if (this.#writing === writing) this.#writing = undefined;
    });
    return writing;
  }

  /** Writes what is queued now (one write's worth), by itself. */
  flush(): Promise<void> {
    const write = this.take();
    return write ? this.write(write) : this.landed();
  }

  /**
   * Settles once the events written by themselves have landed: a commit
   * waits for it, so that it never lands before the events published
   * ahead of it.
   */
  landed(): Promise<void> {
    return this.#writing ?? Promise.resolve();
  }

  /** Writes what is left, then takes no more. */
  async close(): Promise<void> {
    while (this.#queue.length > 0) await this.flush();
    await this.landed();
    this.#closed = true;
  }
}
