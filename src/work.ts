/**
 * Work functions with hooks, and a helper that types them.
 *
 * @module
 */

import type { Done } from "./done.ts";
import type { StepContext } from "./types.ts";

/** Why a `cleanup` hook runs. */
export type CleanupReason = "cancel" | "remove";

/** What a `cleanup` hook receives besides the task's last state. */
export interface CleanupInfo {
  /** The task's id. */
  readonly taskId: string;
  /** The task's work name. */
  readonly work: string;
  /** `"cancel"`: the task was just canceled; `"remove"`: an unfinished task was removed. */
  readonly reason: CleanupReason;
}

/** Optional hooks a work function may carry, as properties of the function. */
export interface WorkHooks<S = unknown> {
  /**
   * Undoes what the task started outside the store, such as an upload on a
   * server. The engine calls it once, after it committed `cancel()`, or after
   * `remove()` deleted a task that had not finished (`pending`, `running`,
   * `paused` or `failed`), with the last committed state. It runs in the
   * engine that made the change; `cancel()` and `remove()` resolve after it.
   * What it throws is reported as an `error` event and changes nothing else.
   */
  cleanup?(state: S, info: CleanupInfo): void | Promise<void>;
}

/** What a step may return. */
// deno-lint-ignore no-explicit-any
export type StepOutput<S> = S | Done<any> | Promise<S | Done<any>>;

/** A work function typed by {@linkcode defineWork}, with its hooks. */
export type Work<S, O extends StepOutput<S>> = StepFunction<S, O> & WorkHooks<S>;

/** A step whose `ctx.done` takes any result; the result type is read from what it returns. */
// deno-lint-ignore no-explicit-any
type StepFunction<S, O> = (state: S, ctx: StepContext<any>) => O;

/**
 * Types a work function declared on its own (outside `createEngine`'s
 * `work` option), so that `ctx` is typed and `task.result()` has the type
 * of what the step passes to `ctx.done`; attaches optional hooks.
 *
 * @example
 * ```ts
 * import { createEngine, defineWork } from "stater";
 * import { memoryDriver } from "stater/drivers/memory";
 *
 * const count = defineWork((state: { n: number }, ctx) =>
 *   state.n >= 3 ? ctx.done(`counted to ${state.n}`) : { n: state.n + 1 }
 * );
 * const engine = await createEngine({ driver: memoryDriver(), work: { count } });
 * const task = await engine.create("count", { n: 0 });
 * const result: string = await task.result();
 * console.log(result); // counted to 3
 * await engine.close();
 * ```
 */
export function defineWork<S, O extends StepOutput<S>>(
  // deno-lint-ignore no-explicit-any
  step: (state: S, ctx: StepContext<any>) => O,
  hooks: WorkHooks<S> = {},
): Work<S, O> {
  if (typeof step !== "function") {
    throw new TypeError(`defineWork(step) needs a step function, got ${typeof step}`);
  }
  const { cleanup } = hooks;
  if (cleanup !== undefined && typeof cleanup !== "function") {
    throw new TypeError(`defineWork's cleanup hook must be a function, got ${typeof cleanup}`);
  }
  const work = ((state: S, ctx) => step(state, ctx)) as Work<S, O>;
  if (cleanup) work.cleanup = cleanup;
  return work;
}

/** Runs the `cleanup` hook of `work`, if it has one; what it throws goes to `report`. */
export async function runCleanup(
  work: unknown,
  state: unknown,
  info: CleanupInfo,
  report: (error: unknown) => void,
): Promise<void> {
  const cleanup = (work as WorkHooks | undefined)?.cleanup;
  if (typeof cleanup !== "function") return;
  try {
    await cleanup(state, info);
  } catch (error) {
    report(error);
  }
}
