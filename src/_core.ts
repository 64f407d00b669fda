/**
 * The parts of one engine that its tasks use, handed to each task: the
 * settings, the driver and its commit queue, the event bus, the scheduler
 * and the ownership of tasks. Each part owns its own state; this only wires
 * them together.
 *
 * @module
 */

import type { CommitQueue } from "./_commit_queue.ts";
import type { Driver } from "./contract.ts";
import type { EventBus } from "./_events.ts";
import type { Ownership } from "./_ownership.ts";
import type { Runnable, Scheduler } from "./_scheduler.ts";
import type { Settings } from "./_settings.ts";
import type { Task } from "./types.ts";

/** One engine's parts, as its tasks see them. */
export interface Core {
  readonly settings: Settings;
  readonly driver: Driver;
  /** Group commit: every write goes through it. */
  readonly queue: CommitQueue;
  readonly events: EventBus;
  readonly scheduler: Scheduler<Runnable & Task>;
  readonly ownership: Ownership;
  /** Tasks kept alive while a `result()` call waits for them. */
  readonly awaited: Set<Task>;
  /** Whether `close()` was called. */
  readonly closing: boolean;
}
