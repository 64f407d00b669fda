/**
 * The public types of the engine: work functions, their step context, task
 * snapshots, events and options.
 *
 * @module
 */

import type { Progress, StoredError, TaskStatus } from "./contract.ts";
import type { Driver } from "./contract.ts";
import { Done } from "./done.ts";

export type { Progress, StoredError, TaskStatus };
export { Done };

/** What a step receives besides the state. */
export interface StepContext<R = unknown> {
  /** The task's id. */
  readonly taskId: string;
  /** The task's work name. */
  readonly work: string;
  /** Steps done so far (0 on the first call). */
  readonly step: number;
  /** 1 on the first try of this step, 2 on its first retry, … */
  readonly attempt: number;
  /** Aborted on `pause({ immediate: true })`, `cancel()`, `close()` past its timeout, and lost ownership. */
  readonly signal: AbortSignal;
  /** Finishes the task with this result; return what it returns. */
  done<T extends R = R>(result?: T): Done<T>;
  /** Reports progress: emitted at once, stored with the next commit. */
  progress(done: number, total?: number): void;
  /** Sends any message to listeners (`message` events); it is not stored. */
  emit(message: unknown): void;
}

/**
 * One step of a task: takes the state, returns the next state or
 * `ctx.done(result)`. It may be async. Steps run at least once each: a step
 * in flight when the process dies runs again on resume.
 */
// deno-lint-ignore no-explicit-any
export type WorkFunction<S = any, R = any> = (
  state: S,
  ctx: StepContext<R>,
) => S | Done<R> | Promise<S | Done<R>>;

/** The `work` option: work functions by name. */
// `any`, not `unknown`: work functions over their own state types must fit (parameters are contravariant).
// deno-lint-ignore no-explicit-any
export type WorkMap = Record<string, WorkFunction<any, any>>;

/** The state type of a work function. */
// deno-lint-ignore no-explicit-any
export type StateOf<F> = F extends (state: infer S, ctx: any) => any ? S : never;

/** The result type of a work function, read from the `Done` it returns. */
// deno-lint-ignore no-explicit-any
export type ResultOf<F> = F extends (state: any, ctx: any) => infer O
  ? Awaited<O> extends infer A ? A extends Done<infer R> ? R : never : never
  : never;

/** A plain snapshot of a task. */
export interface TaskInfo<S = unknown, R = unknown> {
  /** The task's id. */
  id: string;
  /** The work name. */
  work: string;
  /** Where the task is. */
  status: TaskStatus;
  /** The latest state. */
  state: S;
  /** Steps done, the final one included. */
  step: number;
  /** The last reported progress. */
  progress: Progress | undefined;
  /** Why it failed, when `failed`. */
  error: Error | undefined;
  /** The result, once `done`. */
  result?: R;
  /** When it was created (ms since the epoch). */
  createdAt: number;
  /** When it was last committed (ms since the epoch). */
  updatedAt: number;
}

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
  /** Retries of a step that throws, with exponential backoff and jitter. @default { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 30000, factor: 2 } */
  retry?: RetryOptions;
  /** When to commit. @default every step */
  checkpoint?: CheckpointOptions;
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

/** Options of `engine.create`. */
export interface CreateOptions {
  /** The task's id. @default a random UUID */
  id?: string;
  /** Start it at once. @default true */
  start?: boolean;
}

/** Options of `task.pause`. */
export interface PauseOptions {
  /** Abort the step in flight and drop its outcome instead of letting it finish. @default false */
  immediate?: boolean;
}

/** Options of `engine.close`. */
export interface CloseOptions {
  /** How long steps in flight may take to finish before they are aborted, in ms. @default the engine's `closeTimeoutMs` */
  timeoutMs?: number;
}
