/**
 * Events waiting to go out to other engines, shared by the drivers that
 * send them in batches (Deno KV, Postgres). Only the latest progress report
 * of a task waits: a newer one takes the place of the one queued. A message
 * or a removal of the task keeps its place in line, so a later report goes
 * after it.
 *
 * @module
 */

import { type DriverEvent, eventId } from "../src/driver.ts";

/** Events in the order they were published, with one progress report per task at most. */
export class EventQueue {
  #events: DriverEvent[] = [];
  /** Where the latest progress report of each task sits in `#events`. */
  #progress = new Map<string, number>();

  /** Queues `event`; false when it took the place of its task's queued progress report. */
  push(event: DriverEvent): boolean {
    if (event.type === "progress") {
      const slot = this.#progress.get(event.id);
      if (slot !== undefined) {
        this.#events[slot] = event;
        return false;
      }
      this.#progress.set(event.id, this.#events.length);
    } else this.#progress.delete(eventId(event));
    this.#events.push(event);
    return true;
  }

  /** Everything queued, in order; the queue is left empty. */
  take(): DriverEvent[] {
    const events = this.#events;
    this.#events = [];
    this.#progress.clear();
    return events;
  }

  /** How many events wait. */
  get length(): number {
    return this.#events.length;
  }
}
