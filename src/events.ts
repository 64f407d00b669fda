/**
 * The events an engine emits, by type.
 *
 * @module
 */

import type { TaskStatus } from "./contract.ts";
import type { Task } from "./task.ts";

/** Event payloads by type; `task` is the live {@linkcode Task}. */
export interface EngineEvents<S = unknown, R = unknown> {
  /** A task changed status. */
  status: { task: Task<S, R>; from: TaskStatus; to: TaskStatus };
  /** A task finished a step; `step` is the count of steps done. */
  step: { task: Task<S, R>; step: number };
  /** A step reported progress. */
  progress: { task: Task<S, R>; done: number; total: number | undefined };
  /** A step sent a message with `ctx.emit`. */
  message: { task: Task<S, R>; message: unknown };
  /** A task finished with a result. */
  done: { task: Task<S, R>; result: R };
  /** A task failed: its step threw on its last attempt, or returned something unstorable. */
  failed: { task: Task<S, R>; error: Error };
  /** Engine or driver trouble that did not fail a task. */
  error: { error: Error; task?: Task<S, R> };
}

/** The event types. */
export type EngineEventType = keyof EngineEvents;

/** Every event type, for validation. */
export const EVENT_TYPES: readonly EngineEventType[] = [
  "status",
  "step",
  "progress",
  "message",
  "done",
  "failed",
  "error",
];
