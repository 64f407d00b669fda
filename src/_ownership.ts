/**
 * Ownership of tasks, for drivers with per-task ownership (`driver.acquire`:
 * Web Locks, leases): taking a task's lease, holding it (renewed every
 * `driver.renewEveryMs` while held), hearing that it is lost, releasing it,
 * and standing by for a task another engine holds, to take it over when
 * that engine lets go or dies.
 *
 * Without `acquire`, a driver promises that no other engine writes the
 * store while this one is open, and this engine owns every task.
 *
 * @module
 */

import type { Driver, Lease } from "./contract.ts";
import type { Clock } from "./options.ts";

/** What the holder of a lease hears. */
export interface HoldEvents {
  /** The lease is lost (it expired and another engine took it, or a renewal failed). */
  lost(error: unknown): void;
  /** Releasing the lease failed; the task is not held any more anyway. */
  trouble(error: unknown): void;
}

/** What a task standing by hears. */
export interface StandbyEvents {
  /** This engine owns the task now: hold the lease, or release it. */
  granted(lease: Lease): void;
  /** The driver failed to wait for it. */
  failed(error: unknown): void;
}

interface Held {
  lease: Lease;
  events: HoldEvents;
}

/** The leases of one engine. */
export class Ownership {
  #held = new Map<string, Held>();
  #standby = new Map<string, AbortController>();
  #renewTimer: unknown;
  #closed = false;

  constructor(
    private readonly driver: Driver,
    private readonly owner: string,
    private readonly clock: Clock,
    /** Called when this engine starts standing by for a task. */
    private readonly standing: () => void = () => {},
  ) {}

  /** Whether tasks are owned one by one (the driver has `acquire`). */
  get perTask(): boolean {
    return typeof this.driver.acquire === "function";
  }

  /** Whether this engine owns task `id`: it holds its lease, or owns the whole store. */
  owns(id: string): boolean {
    return !this.perTask || this.#held.has(id);
  }

  /** Takes task `id` if nobody holds it; false when another engine does. */
  async take(id: string, signal: AbortSignal, events: HoldEvents): Promise<boolean> {
    if (this.owns(id)) return true;
    const lease = await this.driver.acquire!(id, { owner: this.owner, wait: false, signal });
    if (!lease) return false;
    this.hold(lease, events);
    return true;
  }

  /** Holds `lease` until released: renewed, and watched for loss. */
  hold(lease: Lease, events: HoldEvents): void {
    const held: Held = { lease, events };
    this.#held.set(lease.id, held);
    lease.lost?.addEventListener("abort", () => {
      if (this.#held.get(lease.id) === held) events.lost(lease.lost?.reason);
    }, { once: true });
    this.#renewSoon();
  }

  /** Lets go of task `id`, if held. */
  async release(id: string): Promise<void> {
    const held = this.#held.get(id);
    if (!held) return;
    this.#held.delete(id);
    if (this.#held.size === 0 && this.#renewTimer !== undefined) {
      // Nothing left to renew: an idle engine holds no timer.
      this.clock.clearTimeout(this.#renewTimer);
      this.#renewTimer = undefined;
    }
    await this.#let(held.lease, held.events);
  }

  async #let(lease: Lease, events: HoldEvents): Promise<void> {
    try {
      await lease.release();
    } catch (error) {
      events.trouble(error);
    }
  }

  #renewSoon(): void {
    const every = this.driver.renewEveryMs;
    if (!every || this.#renewTimer !== undefined || this.#held.size === 0 || this.#closed) return;
    this.#renewTimer = this.clock.setTimeout(() => {
      this.#renewTimer = undefined;
      for (const held of this.#held.values()) {
        held.lease.renew?.().catch((error: unknown) => {
          if (this.#held.get(held.lease.id) === held) held.events.lost(error);
        });
      }
      this.#renewSoon();
    }, every);
  }

  /** How many tasks this engine stands by for. */
  get standingCount(): number {
    return this.#standby.size;
  }

  /** Whether task `id` waits here for another engine to let go of it. */
  standingBy(id: string): boolean {
    return this.#standby.has(id);
  }

  /** Waits in the background until this engine can own task `id`. */
  standBy(id: string, events: StandbyEvents): void {
    if (!this.perTask || this.#closed || this.#standby.has(id)) return;
    const waiting = new AbortController();
    this.#standby.set(id, waiting);
    this.standing();
    const done = () => {
      if (this.#standby.get(id) === waiting) this.#standby.delete(id);
    };
    const options = { owner: this.owner, wait: true, signal: waiting.signal };
    new Promise<Lease | undefined>((resolve) => resolve(this.driver.acquire!(id, options))).then(
      (lease) => {
        done();
        if (!lease) return;
        if (waiting.signal.aborted || this.#closed) {
          void this.#let(lease, { lost() {}, trouble: events.failed });
        } else events.granted(lease);
      },
      (error) => {
        done();
        if (!waiting.signal.aborted) events.failed(error);
      },
    );
  }

  /** Stops standing by for task `id`. */
  stopStandingBy(id: string): void {
    this.#standby.get(id)?.abort();
    this.#standby.delete(id);
  }

  /** Stops renewing and standing by; leases still held are released by their runs. */
  close(): void {
    this.#closed = true;
    if (this.#renewTimer !== undefined) this.clock.clearTimeout(this.#renewTimer);
    this.#renewTimer = undefined;
    for (const waiting of this.#standby.values()) waiting.abort();
    this.#standby.clear();
  }
}
