/**
 * stater: long-running jobs that survive restarts.
 *
 * Write a job as a step function over a plain state; the engine commits the
 * state after every step through a storage driver and, when the program comes
 * back, resumes the abandoned tasks from their last commit by itself.
 *
 * @example
 * ```ts
 * import { createEngine } from "stater";
 * import { memoryDriver } from "stater/drivers/memory";
 *
 * const engine = await createEngine({
 *   driver: memoryDriver(),
 *   work: {
 *     count: (state: { n: number }, ctx) =>
 *       state.n >= 1000 ? ctx.done(state.n) : { n: state.n + 1 },
 *   },
 * });
 * const task = await engine.create("count", { n: 0 }, { id: "count-1" });
 * console.log(await task.result()); // 1000
 * await engine.close();
 * ```
 *
 * @module
 */

export { createEngine } from "./engine.ts";
export { Done } from "./done.ts";
export {
  type CleanupInfo,
  type CleanupReason,
  defineWork,
  type StepOutput,
  type Work,
  type WorkHooks,
} from "./work.ts";
export type {
  CloseOptions,
  CreateOptions,
  Engine,
  EngineEvents,
  EngineEventType,
  ListFilter,
  PauseOptions,
  Progress,
  ResultOf,
  StateOf,
  StepContext,
  StoredError,
  Task,
  TaskInfo,
  TaskStatus,
  WorkFunction,
  WorkMap,
} from "./types.ts";
export type { CheckpointOptions, Clock, EngineOptions, RetryOptions } from "./options.ts";
/** The driver an engine runs on; drivers are written against `stater/driver`. */
export type { Driver } from "./contract.ts";
export {
  DriverError,
  EngineClosedError,
  isRetryable,
  type LockHolder,
  OwnershipLostError,
  PermanentError,
  StateNotStorableError,
  StaterError,
  type StaterErrorOptions,
  StoreCorruptError,
  StoreLockedError,
  TaskCanceledError,
  TaskConflictError,
  TaskExistsError,
  TaskFailedError,
  TaskNotFoundError,
  TaskStateError,
  UnknownWorkError,
} from "./errors.ts";
