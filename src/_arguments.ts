/**
 * Checks of what callers pass to the engine's methods: a wrong argument is a
 * `TypeError` (or `StateNotStorableError` for a state) that says what to pass.
 *
 * @module
 */

import { TASK_STATUSES, type TaskStatus } from "./contract.ts";
import { StateNotStorableError, UnknownWorkError } from "./errors.ts";
import type { Settings } from "./_settings.ts";
import type { CreateOptions, ListFilter } from "./types.ts";

/** The id and start flag of `engine.create(work, state, options)`, checked. */
export function createArguments(
  work: unknown,
  state: unknown,
  options: CreateOptions,
  settings: Settings,
): { id: string; start: boolean } {
  if (typeof work !== "string") {
    throw new TypeError(`create(work, state) needs a work name string, got ${typeof work}`);
  }
  if (!settings.workFn(work)) throw new UnknownWorkError([work]);
  if (typeof options !== "object" || options === null) {
    throw new TypeError("create()'s options must be an object");
  }
  const id = options.id ?? settings.createId();
  if (typeof id !== "string" || id === "") {
    throw new TypeError(`A task id must be a non-empty string, got ${JSON.stringify(id)}`);
  }
  const start = options.start ?? true;
  if (typeof start !== "boolean") {
    throw new TypeError(`create()'s start option must be a boolean, got ${typeof start}`);
  }
  if (state === undefined) {
    const why = "it is undefined; give the task an initial state (null or {} for none)";
    throw new StateNotStorableError("state", why);
  }
  return { id, start };
}

/** The statuses of `engine.list({ status })`, checked; `undefined` for all. */
export function statusFilter(status: ListFilter["status"]): TaskStatus[] | undefined {
  if (status === undefined) return undefined;
  const statuses = typeof status === "string" ? [status] : [...status];
  for (const s of statuses) {
    if (!TASK_STATUSES.includes(s)) {
      throw new TypeError(
        `Unknown status ${JSON.stringify(s)}: use one of ${TASK_STATUSES.join(", ")}`,
      );
    }
  }
  return statuses;
}
