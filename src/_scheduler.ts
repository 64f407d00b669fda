/**
 * What runs: at most `concurrency` tasks step at once; the others wait in
 * line, in the order they were scheduled, and take a slot as soon as one
 * frees. The scheduler alone decides when a task runs, and alone knows each
 * task's phase: `idle` → `queued` (waiting for a slot) → `running` → `idle`.
 *
 * @module
 */

/** Where a task is in the scheduler. */
export type Phase = "idle" | "queued" | "running";

/** A task as the scheduler sees it. */
export interface Runnable {
  /** One run of the task, until it stops; the scheduler calls it when it gets a slot. */
  run(): Promise<void>;
  /** It has to wait for a slot. */
  queued(): void;
  /** Whether it may step (its status is `pending` or `running`). */
  readonly active: boolean;
  /** Whether its record was removed. */
  readonly removed: boolean;
}

/** The slots of one engine. */
export class Scheduler<T extends Runnable = Runnable> {
  /** The tasks running, with their runs (set just after each run starts). */
  #running = new Set<T>();
  #runs = new Map<T, Promise<void>>();
  #line: T[] = [];
  #again = new Set<T>();
  #idleWaiters: (() => void)[] = [];
  #opening = true;
  #closing = false;

  constructor(
    private readonly concurrency: number,
    /** Whether this engine takes over `task` now (the balance between engines). */
    private readonly accepts: (task: T) => boolean = () => true,
    /** A task started running here. */
    private readonly started: () => void = () => {},
  ) {}

  /** How many tasks run now. */
  get runningCount(): number {
    return this.#running.size;
  }

  /** The tasks running now. */
  running(): T[] {
    return [...this.#running];
  }

  /** Where `task` is. */
  phase(task: T): Phase {
    return this.#running.has(task) ? "running" : this.#line.includes(task) ? "queued" : "idle";
  }

  /** Whether a task scheduled now would start at once. */
  get slotFree(): boolean {
    return this.#running.size < this.concurrency;
  }

  /** The current run of `task`, settled when it ends (at once when it is not running). */
  runOf(task: T): Promise<void> {
    return this.#runs.get(task) ?? Promise.resolve();
  }

  /** Runs `task` now if a slot is free, else in its turn; a running one runs again after. */
  schedule(task: T): void {
    if (this.#closing || task.removed) return;
    if (this.#running.has(task)) {
      // Asked to run while its last run is still winding down: run it again after.
      this.#again.add(task);
      return;
    }
    if (this.#line.includes(task)) return;
    if (this.slotFree) this.#launch(task);
    else {
      task.queued();
      this.#line.push(task);
    }
  }

  /**
   * This engine may own `task` now (another engine let go of it): it runs
   * if a slot is free and the balance lets this engine take it; else this
   * engine lets go of it at once, so that another engine standing by runs
   * it, and asks again once it gets a slot, or a little later.
   */
  granted(task: T, hold: () => void, letGo: () => void, decline: () => void): void {
    if (this.#closing || task.removed || this.phase(task) !== "idle") return letGo();
    if (!this.slotFree) {
      letGo();
      this.schedule(task);
    } else if (!this.accepts(task)) {
      // This engine runs its share already: another engine's turn.
      letGo();
      decline();
    } else {
      hold();
      this.schedule(task);
    }
  }

  /** Takes `task` out of the line, if it waits there. */
  unschedule(task: T): void {
    const i = this.#line.indexOf(task);
    if (i < 0) return;
    this.#line.splice(i, 1);
    this.#checkIdle();
  }

  #launch(task: T): void {
    this.#running.add(task);
    this.started();
    const run = task.run().finally(() => {
      this.#running.delete(task);
      this.#runs.delete(task);
      if (this.#again.delete(task) && task.active) this.schedule(task);
      while (!this.#closing && this.#line.length > 0 && this.slotFree) {
        this.#launch(this.#line.shift()!);
      }
      this.#checkIdle();
    });
    this.#runs.set(task, run);
  }

  /** The engine finished opening: `idle()` may resolve from now on. */
  opened(): void {
    this.#opening = false;
    this.#checkIdle();
  }

  /** Resolves when no task runs or waits for a slot. */
  idle(): Promise<void> {
    if (!this.#busy()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #busy(): boolean {
    return this.#opening || this.#running.size > 0 || this.#line.length > 0;
  }

  #checkIdle(): void {
    if (this.#busy()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Starts nothing more and empties the line; returns the tasks running now. */
  close(): T[] {
    this.#closing = true;
    this.#opening = false;
    this.#line = [];
    this.#again.clear();
    this.#checkIdle();
    return [...this.#running];
  }
}
