/**
 * Cross-tab events: what one engine publishes reaches the engines of the
 * other tabs and workers of the site over a `BroadcastChannel`, and the
 * other engines sharing this very driver object directly.
 *
 * Posting a message costs about as much as a small IndexedDB write, so
 * events go out in batches: a status change (a new task, done, paused,
 * removed…) is sent at once with whatever waits before it; the commits of
 * running steps and the progress reports are held up to {@linkcode FLUSH_MS}
 * and only the latest one of each task is sent (and of each engine's
 * presence). Every status change and every message (`ctx.emit`) is sent, in
 * order.
 *
 * @module
 */

import { type DriverEvent, eventId } from "../../src/driver.ts";

type Listener = (event: DriverEvent) => void;

/** The longest a step's commit or a progress report waits before it is broadcast, in ms. */
export const FLUSH_MS = 10;

/** A channel named after the database, opened at first use. */
export class EventChannel {
  #listeners = new Set<Listener>();
  #channel: BroadcastChannel | undefined;
  #queue: DriverEvent[] = [];
  /** Where the latest coalescable event of a task sits in the queue, by `type:id`. */
  #slots = new Map<string, number>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly name: string, private readonly report: (error: unknown) => void) {}

  #open(): BroadcastChannel | undefined {
    if (this.#channel || typeof BroadcastChannel !== "function") return this.#channel;
    const channel = new BroadcastChannel(this.name);
    channel.onmessage = (message: MessageEvent) => this.#deliver(message.data as DriverEvent[]);
    this.#channel = channel;
    return channel;
  }

  #deliver(events: readonly DriverEvent[]): void {
    for (const event of events) for (const listener of [...this.#listeners]) listener(event);
  }

  /** Queues `event` for every other listener, here and in other tabs. */
  publish(event: DriverEvent): void {
    const step = event.type === "commit" && event.record.status === "running";
    const urgent = event.type === "removed" || (event.type === "commit" && !step);
    const key = event.type === "presence"
      ? `presence:${event.owner}`
      : step || event.type === "progress"
      ? `${event.type}:${eventId(event)}`
      : undefined;
    const slot = key === undefined ? undefined : this.#slots.get(key);
    if (slot !== undefined) this.#queue[slot] = event;
    else {
      if (key !== undefined) this.#slots.set(key, this.#queue.length);
      // A status change or a removal is never merged: later events of that id queue after it.
      else {for (const type of ["commit", "progress"]) {
          this.#slots.delete(`${type}:${eventId(event)}`);
        }}
      this.#queue.push(event);
    }
    if (urgent) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Sends what is queued now. */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const events = this.#queue;
    if (events.length === 0) return;
    this.#queue = [];
    this.#slots.clear();
    try {
      this.#open()?.postMessage(events);
    } catch {
      // One message that structured clone refuses: send the rest, without it.
      const clonable = events.filter((event) => event.type !== "message" || clones(event.message));
      try {
        this.#channel?.postMessage(clonable);
      } catch (error) {
        try {
          this.report(error);
        } catch { /* the listener's trouble */ }
      }
    }
    if (this.#listeners.size < 2) return;
    let copies: DriverEvent[];
    try {
      copies = structuredClone(events);
    } catch {
      copies = events;
    }
    queueMicrotask(() => this.#deliver(copies));
  }

  /** Listens; returns an unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    this.#open();
    return () => this.#listeners.delete(listener);
  }

  /** Sends what is queued and closes the channel (it opens again on the next use). */
  close(): void {
    this.flush();
    this.#channel?.close();
    this.#channel = undefined;
  }
}

function clones(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}
