/**
 * The options of `createEngine`.
 *
 * @module
 */

import type { Driver } from "./contract.ts";
import type { WorkMap } from "./types.ts";

/** Retry policy for a step that throws. */
export interface RetryOptions {
  /** Tries of one step in all, the first included. @default 3 */
  maxAttempts?: number;
  /** The delay before the first retry, in ms. @default 100 */
  initialDelayMs?: number;
  /** The longest delay, in ms. @default 30000 */
  maxDelayMs?: number;
  /** Each delay is the one before times this. @default 2 */
  factor?: number;
}

/** When to commit: after this many steps or this long, whichever comes first. */
export interface CheckpointOptions {
  /** Commit after this many steps. @default 1 (when `everyMs` is not set either) */
  everySteps?: number;
  /** Commit once this many ms passed since the last commit. */
  everyMs?: number;
}

/** The time seam: tests pass a fake clock. */
export interface Clock {
  /** The time in ms since the epoch. */
  now(): number;
  /** Runs `fn` after `ms`; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a `setTimeout`. */
  clearTimeout(handle: unknown): void;
}

/** Options of {@linkcode createEngine}. */
export interface EngineOptions<W extends WorkMap = WorkMap> {
  /** Where task records live. */
  driver: Driver;
  /** The work functions by name. Tasks store the name, never the function. */
  work: W;
  /** On open, resume every task left `pending` or `running`. @default true */
  autoResume?: boolean;
  /** Most tasks stepping at once in this engine; the rest wait as `pending`. @default Infinity */
  concurrency?: number;
  /**
   * Retries of a step that throws, with exponential backoff and jitter.
   * @default { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 30000, factor: 2 }
   */
  retry?: RetryOptions;
  /** When to commit. @default every step */
  checkpoint?: CheckpointOptions;
  /**
   * This engine's share of the tasks running on a store shared with other
   * engines, relative to theirs: an engine with share 2 runs twice as many as
   * one with share 1 (each within its `concurrency`). 0: it takes over no
   * task from others, and hands the tasks it runs to engines that take them.
   * @default 1
   */
  share?: number;
  /** This engine's identity for ownership of tasks. @default a random UUID */
  owner?: string;
  /** How long `close()` lets steps in flight finish before aborting them, in ms. @default 1000 */
  closeTimeoutMs?: number;
  /** The time source. @default the platform's `Date.now` and timers */
  clock?: Clock;
  /** The randomness source for retry jitter, in [0, 1). @default Math.random */
  random?: () => number;
  /** Makes task ids for `create` without an `id`. @default crypto.randomUUID */
  createId?: () => string;
}
