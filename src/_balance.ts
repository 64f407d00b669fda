/**
 * Engines on one store share its running tasks. While an engine runs tasks
 * or stands by for tasks of others, it tells the other engines, about once a
 * second, how many it runs (a `presence` event). From what it hears, each
 * engine works out every engine's fair share of the tasks running on the
 * store: in proportion to their `share` options, within their
 * `concurrency`, the remainder rounded up. An engine that runs more than its
 * share (two or more tasks over, or one over two rounds in a row) lets go of
 * the excess at their next step
 * boundaries (the step in flight finishes and is committed, then the lease
 * is released); the engines standing by for those tasks take them, if they
 * run less than their share. An engine at its share declines a task it is
 * offered, and waits a little before it asks again; after three declines of
 * one task it takes it anyway, so that a task never goes unowned for long
 * when the engines' views differ.
 *
 * @module
 */

import type { Driver, PresenceEvent } from "./contract.ts";
import type { Clock } from "./options.ts";
import type { Settings } from "./_settings.ts";

/** How often an engine tells the others how many tasks it runs, in ms. */
export const BALANCE_EVERY_MS = 1000;
/** A peer not heard of for this long is gone, in ms. */
const PEER_TIMEOUT_MS = 3.5 * BALANCE_EVERY_MS;
/** Declines of one task before an engine takes it anyway. */
const DECLINES = 3;

interface Peer {
  running: number;
  takes: boolean;
  share: number;
  slots: number;
  seen: number;
}

/** What the balance reads of its engine. */
export interface Local {
  /** Tasks running here now. */
  running(): number;
  /** Tasks this engine stands by for. */
  standing(): number;
}

/** The balance of one engine. */
export class Balance {
  #peers = new Map<string, Peer>();
  #declined = new Map<string, number>();
  #timer: unknown;
  #over = 0;
  #toldAt = -Infinity;
  #closed = false;

  constructor(
    private readonly owner: string,
    private readonly clock: Clock,
    private readonly self: { takes: boolean; share: number; slots: number },
    private readonly local: Local,
    /** Tells the other engines; `undefined` when the store has no events (no sharing then). */
    private readonly publish: ((event: PresenceEvent) => void) | undefined,
    /** Lets go of this many running tasks at their next step boundaries. */
    private readonly shed: (count: number) => void,
  ) {}

  /** A presence event from another engine. */
  heard(event: PresenceEvent): void {
    if (event.owner === this.owner) return;
    if (event.leaving) {
      this.#peers.delete(event.owner);
      return;
    }
    const known = this.#peers.has(event.owner);
    this.#peers.set(event.owner, {
      running: event.running,
      takes: event.takes,
      share: event.share,
      slots: event.slots ?? Infinity,
      seen: this.clock.now(),
    });
    if (!known && this.#busy()) {
      // A newcomer: tell it at once how many tasks this engine runs.
      this.#tell(false);
      this.#keepTelling();
    }
  }

  #busy(): boolean {
    return this.local.running() > 0 || this.local.standing() > 0;
  }

  /** How many tasks this engine should run now, by what it heard. */
  share(): number {
    return Math.ceil(this.#targets().self);
  }

  /** Whether this engine takes task `id` another engine let go of (see the module comment). */
  accepts(id: string): boolean {
    // Counted with the task offered: would this engine be within its share with it?
    if (!this.publish || this.local.running() + 1 <= Math.ceil(this.#targets(1).self)) {
      this.#declined.delete(id);
      return true;
    }
    const declines = (this.#declined.get(id) ?? 0) + 1;
    if (declines > DECLINES) {
      this.#declined.delete(id);
      return true;
    }
    if (this.#declined.size > 10_000) this.#declined.clear();
    this.#declined.set(id, declines);
    return false;
  }

  /** How long to wait before asking again for task `id` after declining it, in ms. */
  backoff(id: string): number {
    return (this.#declined.get(id) ?? 1) * (100 + 150 * Math.random());
  }

  /**
   * Something to run or stand by for: tell the others (at most once a
   * round), and, with other engines about, keep telling them while it lasts.
   * An engine alone on its store sets no timer.
   */
  wake(): void {
    if (!this.publish || this.#closed || this.#timer !== undefined) return;
    if (this.clock.now() - this.#toldAt >= BALANCE_EVERY_MS) this.#tell(false);
    this.#keepTelling();
  }

  #keepTelling(): void {
    if (this.#timer !== undefined || this.#closed || this.#peers.size === 0) return;
    this.#timer = this.clock.setTimeout(() => this.#tick(), BALANCE_EVERY_MS);
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.#closed) return;
    const now = this.clock.now();
    for (const [owner, peer] of this.#peers) {
      if (now - peer.seen > PEER_TIMEOUT_MS) this.#peers.delete(owner);
    }
    this.#tell(false);
    this.#rebalance();
    if (this.#busy()) this.#keepTelling();
  }

  #rebalance(): void {
    const { self, room } = this.#targets();
    const excess = this.local.running() - Math.ceil(self);
    this.#over = excess > 0 && room > 0 ? this.#over + 1 : 0;
    // One task too many may be a count in flight: wait a round to be sure.
    if (this.#over >= 2 || (this.#over === 1 && excess >= 2)) {
      this.#over = 0;
      this.shed(Math.min(excess, Math.floor(room)));
    }
  }

  /**
   * This engine's fair number of tasks, and the room the others have below
   * theirs, were `more` tasks running besides those the engines run now.
   */
  #targets(more = 0): { self: number; room: number } {
    const peers = [...this.#peers.values()];
    const running = peers.reduce((sum, peer) => sum + peer.running, 0);
    const total = this.local.running() + running + more;
    const me = { ...this.self, running: this.local.running() };
    const engines = [me, ...peers].filter((engine) => engine.takes || engine === me);
    const targets = fill(
      total,
      engines.map((e) => (e.takes ? e.share : 0)),
      engines.map((e) => e.slots),
    );
    const room = engines.reduce(
      (sum, engine, i) => (engine === me ? sum : sum + Math.max(0, targets[i]! - engine.running)),
      0,
    );
    return { self: targets[0]!, room };
  }

  #tell(leaving: boolean): void {
    const slots = this.self.slots === Infinity ? null : this.self.slots;
    const { takes, share } = this.self;
    const event: PresenceEvent = {
      type: "presence",
      owner: this.owner,
      running: this.local.running(),
      takes,
      share,
      slots,
    };
    if (leaving) event.leaving = true;
    this.#toldAt = this.clock.now();
    this.publish?.(event);
  }

  /** The engine closes: stop telling, and tell the others once that it leaves. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#peers.size > 0) this.#tell(true);
  }
}

/**
 * Shares `total` tasks among engines in proportion to `weights`, none above
 * its `slots`: what one cannot take goes to the others (water filling).
 */
export function fill(total: number, weights: number[], slots: number[]): number[] {
  const targets = weights.map(() => 0);
  let left = total;
  let open = weights.map((w, i) => (w > 0 ? i : -1)).filter((i) => i >= 0);
  while (left > 1e-9 && open.length > 0) {
    const weight = open.reduce((sum, i) => sum + weights[i]!, 0);
    const full = open.filter((i) => targets[i]! + (left * weights[i]!) / weight >= slots[i]!);
    if (full.length === 0) {
      for (const i of open) targets[i]! += (left * weights[i]!) / weight;
      break;
    }
    for (const i of full) {
      left -= slots[i]! - targets[i]!;
      targets[i] = slots[i]!;
    }
    open = open.filter((i) => !full.includes(i));
  }
  return targets;
}

/** What `balanceOf` reads of the scheduler and the ownership. */
interface Parts {
  scheduler: { runningCount: number; running(): { id: string; yieldRun(): void }[] };
  ownership: { standingCount: number; owns(id: string): boolean };
}

/** The balance of an engine; it shares tasks only on a store with events and per-task ownership. */
export function balanceOf(
  settings: Settings,
  driver: Driver,
  scheduler: Parts["scheduler"],
  ownership: Parts["ownership"],
): Balance {
  const shares = driver.publish && driver.subscribe && driver.acquire;
  const self = {
    takes: settings.autoResume && settings.share > 0,
    share: settings.share,
    slots: settings.concurrency,
  };
  const local = {
    running: () => scheduler.runningCount,
    standing: () => ownership.standingCount,
  };
  const shed = (count: number) => {
    const mine = scheduler.running().filter((task) => ownership.owns(task.id));
    for (const task of mine.slice(-count)) task.yieldRun();
  };
  const publish = shares ? driver.publish!.bind(driver) : undefined;
  return new Balance(settings.owner, settings.clock, self, local, publish, shed);
}
