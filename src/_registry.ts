/**
 * The tasks an engine has in memory, one object per id, so that every
 * `get`, event and control of a task meets the same `Task`.
 *
 * The registry holds each task only weakly. What keeps a task in memory is
 * what it is doing or what the user holds: a run or a place in line (the
 * scheduler), standing by for another engine's task (the ownership), a
 * `result()` call waiting (the engine's awaited set), or the user's own
 * references (listeners on a task do not keep it: they live as long as it).
 * So memory stays bounded by the tasks this engine runs or waits for, plus
 * what the user holds, however many tasks it hears of from other engines.
 *
 * @module
 */

import type { TaskRecord } from "./contract.ts";
import type { CoreTask } from "./_core.ts";
import type { Scheduler } from "./_scheduler.ts";
import type { TaskImpl } from "./task.ts";

/** The tasks of one engine, by id. */
export class Registry {
  #known = new Map<string, WeakRef<TaskImpl>>();
  /** Drops the entry of a task once it was collected. */
  #collected = new FinalizationRegistry<string>((id) => {
    if (this.#known.get(id)?.deref() === undefined) this.#known.delete(id);
  });

  constructor(
    private readonly make: (record: TaskRecord) => TaskImpl,
    private readonly scheduler: Scheduler<CoreTask>,
  ) {}

  /** The task with this id, if it is in memory and not removed. */
  lookup(id: string): TaskImpl | undefined {
    const task = this.#known.get(id)?.deref();
    return task && !task.removed ? task : undefined;
  }

  /** A new task for `record`, replacing any removed one of the same id. */
  add(record: TaskRecord): TaskImpl {
    const task = this.make(record);
    this.#known.set(record.id, new WeakRef(task));
    this.#collected.register(task, record.id);
    return task;
  }

  /** The task of `record`: the one in memory brought up to date (unless it runs), or a new one. */
  materialize(record: TaskRecord): TaskImpl {
    const known = this.lookup(record.id);
    if (!known) return this.add(record);
    if (this.scheduler.phase(known) !== "running") known.adopt(record, true);
    return known;
  }

  /** Every task still in memory. */
  *alive(): Iterable<TaskImpl> {
    for (const ref of this.#known.values()) {
      const task = ref.deref();
      if (task) yield task;
    }
  }
}
