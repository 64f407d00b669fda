/**
 * What an engine tells the others, as `NOTIFY` payloads (at most
 * {@linkcode MAX_PAYLOAD} bytes each, under Postgres's 8,000):
 *
 * - `c["owner", [keys]]`: these tasks committed; read them;
 * - `f[keys]`: these tasks' leases are free;
 * - `e"owner"\n[events]`: progress reports, messages and removals, in the
 *   core codec's text.
 *
 * Payloads ride with the next commit, in its transaction, so that a step's
 * messages are heard before its commit and a commit is heard only once
 * durable; when no commit comes within {@linkcode FLUSH_MS}, they are sent
 * by themselves. A status change is told at once; a plain step of a task
 * this driver last wrote in the same status is told with a later commit or
 * within {@linkcode FLUSH_MS} (listeners learn the latest record, not every
 * revision), told at most every {@linkcode STEPS_MS}, so that engines
 * watching many tasks read each one's latest record a few times a second,
 * not at every step. Progress is coalesced to the latest report of each task. An
 * event larger than one payload stays within its engine.
 *
 * @module
 */

import { type DriverEvent, encode } from "../../src/driver.ts";
import { EventQueue } from "../_event_queue.ts";

/** The largest payload sent, in bytes. */
export const MAX_PAYLOAD = 7900;
/** The longest a payload waits for a commit to ride with, in ms. */
export const FLUSH_MS = 50;
/** How often plain steps are told, at most, in ms. */
export const STEPS_MS = 250;
/** Statuses remembered at most (past it the memory starts over). */
const KNOWN_MAX = 10_000;

const utf8 = new TextEncoder();

function bytes(text: string): number {
  return text.length * 3 <= MAX_PAYLOAD ? text.length : utf8.encode(text).length;
}

/** Payloads of `prefix` + JSON of `wrap(part)`, `keys` cut into parts that fit. */
export function packKeys(keys: string[], wrap: (part: string[]) => string): string[] {
  const out: string[] = [];
  let part: string[] = [];
  let size = 0;
  for (const key of keys) {
    const length = bytes(JSON.stringify(key)) + 1;
    if (part.length > 0 && size + length > MAX_PAYLOAD - 200) {
      out.push(wrap(part));
      part = [];
      size = 0;
    }
    part.push(key);
    size += length;
  }
  if (part.length > 0) out.push(wrap(part));
  return out;
}

/** The payloads that say the leases of `keys` are free. */
export function freePayloads(keys: string[]): string[] {
  return packKeys(keys, (part) => `f${JSON.stringify(part)}`);
}

/** One engine's notifications on their way out. */
export class Outbox {
  #queue = new EventQueue();
  /** Keys of plain steps not told yet. */
  #steps = new Set<string>();
  /** The status this driver last wrote, by key. */
  #status = new Map<string, string>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerDue = Infinity;
  /** When plain steps were last told. */
  #stepsToldAt = 0;
  #sending: Promise<void> | undefined;
  #closed = false;

  constructor(
    private readonly owner: string,
    /** Sends payloads by themselves. */
    private readonly send: (payloads: string[]) => Promise<void>,
  ) {}

  /** Queues `event` (commits are told by the commits themselves). */
  publish(event: DriverEvent): void {
    if (this.#closed || event.type === "commit" || !this.#queue.push(event)) return;
    this.#arm();
  }

  /** Makes sure a flush comes: within FLUSH_MS for events, when due for plain steps. */
  #arm(): void {
    const now = Date.now();
    const due = this.#queue.length > 0
      ? now + FLUSH_MS
      : this.#steps.size > 0
      ? Math.max(now, this.#stepsToldAt + STEPS_MS)
      : Infinity;
    if (due === Infinity || due >= this.#timerDue) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerDue = due;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerDue = Infinity;
      void this.flush();
    }, due - now);
  }

  /** The keys of plain steps to tell now: all of them when due (or `force`), else none. */
  #takeSteps(force = false): string[] {
    if (this.#steps.size === 0 || (!force && Date.now() - this.#stepsToldAt < STEPS_MS)) return [];
    this.#stepsToldAt = Date.now();
    const keys = [...this.#steps];
    this.#steps.clear();
    return keys;
  }

  /** The event payloads queued now, and the queue emptied. */
  #takeEvents(): string[] {
    const events = this.#queue.take();
    const head = `e${JSON.stringify(this.owner)}\n`;
    const out: string[] = [];
    let part: string[] = [];
    let size = bytes(head) + 2;
    for (const event of events) {
      let text: string;
      try {
        text = encode(event, "message");
      } catch {
        continue; // a message the codec refuses stays within this engine
      }
      const length = bytes(text) + 1;
      if (bytes(head) + length + 2 > MAX_PAYLOAD) continue;
      if (part.length > 0 && size + length > MAX_PAYLOAD) {
        out.push(`${head}[${part.join(",")}]`);
        part = [];
        size = bytes(head) + 2;
      }
      part.push(text);
      size += length;
    }
    if (part.length > 0) out.push(`${head}[${part.join(",")}]`);
    return out;
  }

  #commitPayloads(keys: string[]): string[] {
    return packKeys(keys, (part) => `c${JSON.stringify([this.owner, part])}`);
  }

  /**
   * The payloads a commit batch carries: the events queued, then the keys
   * it writes that must be told now, with the plain steps waiting.
   */
  forCommit(stored: { key: string; status: string }[], deleted: string[]): string[] {
    const now: string[] = [...deleted];
    for (const { key, status } of stored) {
      if (this.#status.get(key) === status) this.#steps.add(key);
      else now.push(key);
      if (this.#status.size >= KNOWN_MAX) this.#status.clear();
      this.#status.set(key, status);
    }
    for (const key of deleted) this.#status.delete(key);
    for (const key of now) this.#steps.delete(key);
    const keys = [...now, ...this.#takeSteps()];
    const payloads = [...this.#takeEvents(), ...this.#commitPayloads(keys)];
    this.#arm();
    return payloads;
  }

  /**
   * The payloads that free the leases of `keys`: the plain steps of those
   * tasks not told yet come first, so that an engine taking a lease over
   * has heard every commit its holder made.
   */
  forRelease(keys: string[]): string[] {
    const steps = keys.filter((key) => this.#steps.delete(key));
    return [...this.#commitPayloads(steps), ...freePayloads(keys)];
  }

  /** Puts back what a batch that did not land carried, ahead of what came since. */
  restore(payloads: string[]): void {
    for (const payload of payloads) {
      if (payload.startsWith("c")) {
        for (const key of (JSON.parse(payload.slice(1)) as [string, string[]])[1]) {
          this.#steps.add(key);
          this.#status.delete(key);
        }
      }
    }
    // Events of a lost batch are not replayed: they are not stored, and the commit did not land.
    this.#arm();
  }

  /** Sends what waits, by itself (plain steps when due, or all with `force`). */
  flush(force = false): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDue = Infinity;
    const payloads = [...this.#takeEvents(), ...this.#commitPayloads(this.#takeSteps(force))];
    this.#arm();
    if (payloads.length === 0) return this.landed();
    const sending = (this.#sending ?? Promise.resolve()).then(() => this.send(payloads));
    this.#sending = sending;
    void sending.finally(() => {
      if (this.#sending === sending) this.#sending = undefined;
    });
    return sending;
  }

  /** Settles once what was sent by itself has landed: a commit waits for it. */
  landed(): Promise<void> {
    return this.#sending ?? Promise.resolve();
  }

  /** Sends what is left, then takes no more. */
  async close(): Promise<void> {
    await this.flush(true);
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }
}
