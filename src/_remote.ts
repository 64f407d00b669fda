/**
 * What an engine does with what other engines on the store publish: their
 * commits update the tasks in memory (and stop a run here that another
 * engine overtook), a running task gets an engine standing by to take it
 * over should its engine die, their progress, messages and removals reach
 * this engine's listeners, and their presence tells the balance how many
 * tasks they run.
 *
 * @module
 */

import type { DriverEvent, TaskRecord } from "./contract.ts";
import type { Core } from "./_core.ts";
import type { Registry } from "./_registry.ts";
import type { TaskImpl } from "./task.ts";

/** The listener an engine subscribes to its driver's events. */
export function hearOthers(core: Core, registry: Registry): (event: DriverEvent) => void {
  const { settings, scheduler, ownership, events } = core;
  return (event) => {
    if (event.owner === settings.owner || core.closing) return;
    if (event.type === "commit") {
      const { record } = event;
      const known = registry.lookup(record.id);
      if (known && scheduler.phase(known) === "running") {
        // Another engine committed this task while we step it (paused or
        // canceled it from another tab, or took it over): stop now rather
        // than finish a step whose commit would be refused.
        if (record.rev > known.rev) known.preempt(record);
        return;
      }
      const task = known ?? heardFirst(registry, record);
      if (known) known.adopt(record, true);
      if (task.status !== "running") ownership.stopStandingBy(task.id);
      else if (
        settings.autoResume && scheduler.phase(task) === "idle" && settings.workFn(task.work)
      ) {
        // Stand by to take over a task another engine is stepping, should
        // that engine die. A pending task is not ours to start: its engine
        // starts it, or it was created with start: false.
        task.standBy();
      }
      return;
    }
    if (event.type === "presence") {
      core.balance.heard(event);
      return;
    }
    const known = registry.lookup(event.id);
    if (event.type === "removed") {
      known?.markRemoved();
      return;
    }
    const deliver = (task: TaskImpl) => {
      if (event.type === "progress") {
        const { done, total } = event.progress;
        events.emit("progress", { task, done, total });
      } else events.emit("message", { task, message: event.message });
    };
    if (known) deliver(known);
    else {
      new Promise<TaskRecord | undefined>((resolve) => resolve(core.driver.get(event.id))).then(
        (record) => record && deliver(registry.materialize(record)),
        (error) => events.report(error),
      );
    }
  };
}

/**
 * A task this engine does not hold, heard of through another engine's
 * commit. A commit that finished it (`done` and `failed` are reached from
 * `running` only) still raises its `status` and `done` or `failed` events
 * here: an engine holds the tasks it only hears of weakly, so one that knew
 * the task may have let go of it since its last commit.
 */
function heardFirst(registry: Registry, record: TaskRecord): TaskImpl {
  if (record.status !== "done" && record.status !== "failed") return registry.add(record);
  const task = registry.add({
    ...record,
    status: "running",
    rev: record.rev - 1,
    result: undefined,
    error: undefined,
  });
  task.adopt(record, true);
  return task;
}
