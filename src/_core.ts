/**
 * The parts of one engine that its tasks use, handed to each task: the
 * settings, the driver and its commit queue, the event bus, the scheduler,
 * the ownership of tasks and the balance between engines. Each part owns
 * its own state; this only wires them together.
 *
 * @module
 */

import type { Balance } from "./_balance.ts";
import type { CommitQueue } from "./_commit_queue.ts";
import type { Driver } from "./contract.ts";
import type { EventBus } from "./_events.ts";
import type { Ownership } from "./_ownership.ts";
import type { Runnable, Scheduler } from "./_scheduler.ts";
import type { Settings } from "./_settings.ts";
import type { Task } from "./types.ts";

/** A task as the engine's parts handle it. */
export interface CoreTask extends Runnable, Task {
  /** Lets another engine have it, at its next step boundary. */
  yieldRun(): void;
  /** Stops its run for `close()`; aborts the step in flight when `now`. */
  stopForClose(now: boolean): void;
}

/** One engine's parts, as its tasks see them. */
export interface Core {
  readonly settings: Settings;
  readonly driver: Driver;
  /** Group commit: every write goes through it. */
  readonly queue: CommitQueue;
  readonly events: EventBus;
  readonly scheduler: Scheduler<CoreTask>;
  readonly ownership: Ownership;
  /** How many tasks this engine should run, with other engines on the store. */
  readonly balance: Balance;
  /** Tasks kept alive while a `result()` call waits for them. */
  readonly awaited: Set<Task>;
  /** Whether `close()` was called. */
  readonly closing: boolean;
}
