/**
 * How a task shows in `console.log` on Node and Deno: its id, work, status,
 * step, progress and state (and its error or result), not its internals.
 *
 * @module
 */

import type { TaskInfo } from "./types.ts";

/** Named so that the runtimes' inspectors print `Task { … }`. */
class Task {
  constructor(fields: Record<string, unknown>) {
    Object.assign(this, fields);
  }
}

type Inspect = (value: unknown, options: unknown) => string;

/** Makes the tasks of `proto` show as `Task { … }` in Node's and Deno's `console.log`. */
export function inspectable(proto: { toJSON(): TaskInfo }): void {
  Object.defineProperty(proto, Symbol.for("nodejs.util.inspect.custom"), {
    value(this: typeof proto, _depth: number, options: unknown, inspect: Inspect) {
      return inspectTask(this.toJSON(), (value) => inspect(value, options));
    },
  });
  Object.defineProperty(proto, Symbol.for("Deno.customInspect"), {
    value(this: typeof proto, inspect: Inspect, options: unknown) {
      return inspectTask(this.toJSON(), (value) => inspect(value, options));
    },
  });
}

/** The text `console.log` prints for a task with snapshot `info`. */
export function inspectTask(info: TaskInfo, inspect: (value: unknown) => string): string {
  const fields: Record<string, unknown> = {
    id: info.id,
    work: info.work,
    status: info.status,
    step: info.step,
    progress: info.progress,
    state: info.state,
  };
  if (info.error) fields.error = info.error;
  if (info.status === "done") fields.result = info.result;
  return inspect(new Task(fields));
}
