/**
 * The table of controls: what each of a task's control methods does in each
 * status. A control either acts, does nothing (what it asks for is already
 * so), or throws `TaskStateError` with advice. The README shows this table.
 *
 * @module
 */

import type { TaskStatus } from "./contract.ts";
import { EngineClosedError, TaskNotFoundError, TaskStateError } from "./errors.ts";

/** A control method of a task (`resume()` is `start()`). */
export type Control = "start" | "pause" | "cancel" | "retry" | "remove";

/**
 * `act`: the control acts; `no-op`: it resolves and changes nothing; any
 * other text: it is refused, with that advice.
 */
export type Rule = "act" | "no-op" | string;

const FINISHED = "a finished task does not run again; create a new task";

/** What each control does in each status. */
export const CONTROLS: Readonly<Record<Control, Readonly<Record<TaskStatus, Rule>>>> = {
  start: {
    pending: "act",
    running: "act",
    paused: "act",
    done: FINISHED,
    failed: "call retry() to run it again",
    canceled: FINISHED,
  },
  pause: {
    pending: "act",
    running: "act",
    paused: "no-op",
    done: "it is finished and does not run",
    failed: "it is finished and does not run; retry() runs it again",
    canceled: "it is finished and does not run",
  },
  cancel: {
    pending: "act",
    running: "act",
    paused: "act",
    done: "it is finished; remove() deletes it",
    failed: "it is finished; remove() deletes it, retry() runs it again",
    canceled: "no-op",
  },
  retry: {
    pending: "no-op",
    running: "no-op",
    paused: "only a failed task can be retried; resume() runs a paused one",
    done: "only a failed task can be retried",
    failed: "act",
    canceled: "only a failed task can be retried",
  },
  remove: {
    pending: "act",
    running: "act",
    paused: "act",
    done: "act",
    failed: "act",
    canceled: "act",
  },
};

/**
 * Whether `control` does nothing for a task in `status` (true), or acts
 * (false).
 *
 * @throws {TaskStateError} when the table refuses it.
 */
export function checkControl(taskId: string, status: TaskStatus, control: Control): boolean {
  const rule = CONTROLS[control][status];
  if (rule === "act") return false;
  if (rule === "no-op") return true;
  throw new TaskStateError(taskId, status, `${control}() is refused: ${rule}`);
}

/** What decides whether a control may run. */
export interface ControlContext {
  /** The engine is closing. */
  closing: boolean;
  /** The task's record was removed. */
  removed: boolean;
  /** The task's status, as the table reads it. */
  status: TaskStatus;
}

/**
 * Whether `control` of task `taskId` does nothing (true) or acts (false).
 *
 * @throws {EngineClosedError} after `engine.close()`.
 * @throws {TaskNotFoundError} when the task was removed (but `remove()` again is a no-op).
 * @throws {TaskStateError} when the table refuses it.
 */
export function allowed(taskId: string, control: Control, context: ControlContext): boolean {
  if (context.removed && control === "remove") return true;
  if (context.closing) throw new EngineClosedError(`task.${control}()`);
  if (context.removed) throw new TaskNotFoundError(taskId, "it was removed");
  return checkControl(taskId, context.status, control);
}
