/**
 * The uploads' view, driven only by an `Engine`: `engine.list()` once, then
 * its events, and the tasks' controls (`engine.get(id)` then `pause`,
 * `resume`, `cancel`, `retry`, `remove`). Events only mark rows dirty; one
 * animation frame then updates the rows that changed, in place, and the
 * totals, so that a thousand files stay smooth.
 */
import type { Engine, Task, TaskStatus } from "stater";
import { addUploads } from "stater/tus";
import { KEEP_FILES } from "./_engine.ts";
import { bytes, duration, Rate, renderRow, type Row, rowOf, updateRow } from "./_rows.ts";

/** Files to add, and the folder they came from (a dropped folder), if any. */
export interface FileGroup {
  files: File[];
  folder?: string;
}

/** Where the view uploads to. */
export interface ViewOptions {
  endpoint: string;
  chunkSize: number;
}

const ACTIVITY_KEPT = 200;
const ROWS_PER_FRAME = 150;
const BULK: Record<string, [TaskStatus[], (task: Task) => Promise<void>]> = {
  "pause-all": [["pending", "running"], (task) => task.pause({ immediate: true })],
  "resume-all": [["paused"], (task) => task.resume()],
  "cancel-all": [["pending", "running", "paused"], (task) => task.cancel()],
  "retry-all": [["failed"], (task) => task.retry()],
  "clear-finished": [["done", "canceled"], (task) => task.remove()],
};
const ONE: Record<string, (task: Task) => Promise<void>> = {
  pause: (task) => task.pause({ immediate: true }),
  resume: (task) => task.resume(),
  cancel: (task) => task.cancel(),
  retry: (task) => task.retry(),
  remove: (task) => task.remove(),
};

/** The list of uploads, the totals, the controls and the activity list. */
export class UploadsView {
  #rows = new Map<string, Row>();
  #dirty = new Set<Row>();
  #added: Row[] = [];
  #activity: string[] = [];
  #frame = 0;
  #ticking = false;
  #engine: Engine | undefined;
  #off: (() => void)[] = [];
  #rate = new Rate();
  #list: HTMLElement;

  constructor(private readonly root: HTMLElement, private readonly options: ViewOptions) {
    this.#list = root.querySelector("#list")!;
    this.#list.addEventListener("click", (event) => {
      const button = (event.target as HTMLElement).closest<HTMLElement>("button[data-action]");
      const id = button?.closest<HTMLElement>(".row")?.dataset.id;
      const action = button && ONE[button.dataset.action!];
      if (id && action) void this.#control(id, action);
    });
    for (const [name, [statuses, action]] of Object.entries(BULK)) {
      root.querySelector(`#${name}`)!.addEventListener("click", () => {
        for (const row of this.#rows.values()) {
          if (statuses.includes(row.status)) void this.#control(row.id, action);
        }
      });
    }
  }

  /** Shows the tasks of `engine` and follows its events, instead of the last engine's. */
  async attach(engine: Engine): Promise<void> {
    this.detach();
    this.#engine = engine;
    const on = <K extends "status" | "progress" | "failed" | "error">(
      type: K,
      listener: Parameters<typeof engine.on<K>>[1],
    ) => this.#off.push(engine.on(type, listener));
    on("progress", ({ task, done, total }) => {
      const row = this.#row(task);
      // A report from another context may arrive after the task's end (it was held back).
      if (row.status === "done" || row.status === "canceled" || row.status === "failed") return;
      row.done = done;
      if (total !== undefined) row.size = total;
      row.rate.add(performance.now(), done);
      this.#mark(row);
    });
    on("status", ({ task, from, to }) => {
      const row = this.#row(task);
      row.status = to;
      if (to === "done") row.done = row.size;
      if (to !== "failed") row.error = undefined;
      if (to === "done" || to === "paused" || to === "canceled") this.log(`${row.name}: ${to}`);
      if (to === "pending" && (from === "paused" || from === "failed")) {
        this.log(`${row.name}: resumed`);
      }
      this.#mark(row);
    });
    on("failed", ({ task, error }) => {
      const row = this.#row(task);
      row.error = error.message;
      this.log(`${row.name}: failed: ${error.message}`);
      this.#mark(row);
    });
    on("error", ({ error }) => this.log(`error: ${error.message}`));
    const unfinished: string[] = [];
    for (const info of await engine.list({ work: "upload" })) {
      if (this.#rows.has(info.id)) continue;
      this.#add(rowOf(info));
      if (!["done", "canceled"].includes(info.status)) unfinished.push(info.id);
    }
    this.#schedule();
    // Hold the unfinished tasks (see #row), and catch up on what changed since the list.
    await Promise.all(unfinished.map(async (id) => {
      const task = await engine.get(id);
      const row = this.#rows.get(id);
      if (!task || !row || this.#engine !== engine) return;
      const fresh = rowOf(task.toJSON());
      Object.assign(row, { task, status: fresh.status, done: fresh.done, error: fresh.error });
      this.#mark(row);
    }));
  }

  /** Stops following the engine and empties the list. */
  detach(): void {
    for (const off of this.#off.splice(0)) off();
    this.#engine = undefined;
    this.#rows.clear();
    this.#dirty.clear();
    this.#added = [];
    this.#list.replaceChildren();
  }

  /** Adds upload tasks for the files, then starts them once their Files are kept. */
  async add(groups: FileGroup[]): Promise<void> {
    const engine = this.#engine;
    if (!engine) return;
    const { endpoint, chunkSize } = this.options;
    let count = 0;
    try {
      for (const { files, folder } of groups) {
        if (files.length === 0) continue;
        const tasks = await addUploads(engine, files, {
          endpoint,
          chunkSize,
          folder,
          keepFiles: KEEP_FILES,
          start: false,
        });
        for (const task of tasks) this.#row(task);
        this.#schedule();
        await Promise.all(tasks.map((task) => task.start().catch(() => {})));
        count += tasks.length;
      }
      this.log(`added ${count} file${count === 1 ? "" : "s"}`);
    } catch (error) {
      this.log(`could not add the files: ${(error as Error).message}`);
    }
  }

  /** Adds a line to the activity list. */
  log(line: string): void {
    const time = new Date().toLocaleTimeString();
    this.#activity.push(`${time} ${line}`);
    this.#schedule();
  }

  async #control(id: string, action: (task: Task) => Promise<void>): Promise<void> {
    try {
      const task = await this.#engine?.get(id);
      if (!task) return this.#forget(id);
      await action(task);
      if (action === ONE.remove || action === BULK["clear-finished"]![1]) this.#forget(id);
    } catch (error) {
      this.log(`${this.#rows.get(id)?.name ?? id}: ${(error as Error).message}`);
    }
  }

  #forget(id: string): void {
    const row = this.#rows.get(id);
    if (!row) return;
    this.#rows.delete(id);
    row.element?.remove();
    this.#schedule();
  }

  #row(task: Task): Row {
    const row = this.#rows.get(task.id) ?? this.#add(rowOf(task.toJSON()));
    // An engine holds the tasks of other contexts only weakly: holding them here makes sure
    // that the events of each task shown reach the same Task, and so this view.
    row.task = task;
    return row;
  }

  #add(row: Row): Row {
    this.#rows.set(row.id, row);
    this.#added.push(row);
    this.#schedule();
    return row;
  }

  #mark(row: Row): void {
    this.#dirty.add(row);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#frame === 0) this.#frame = requestAnimationFrame(() => this.#paint());
  }

  /** One frame: new rows appended, changed rows updated in place, then the totals. */
  #paint(): void {
    this.#frame = 0;
    const now = performance.now();
    if (this.#added.length > 0) {
      // A few hundred rows a frame at most, so that adding a thousand files never stalls one.
      const fragment = document.createDocumentFragment();
      for (const row of this.#added.splice(0, ROWS_PER_FRAME)) {
        if (this.#rows.get(row.id) === row) fragment.append(renderRow(row));
      }
      this.#list.append(fragment);
      if (this.#added.length > 0) this.#schedule();
    }
    for (const row of this.#dirty) updateRow(row, now);
    this.#dirty.clear();
    this.#paintTotals(now);
    if (this.#activity.length > 0) {
      const list = this.root.querySelector("#activity")!;
      for (const line of this.#activity.splice(0)) {
        const item = document.createElement("li");
        item.textContent = line;
        list.prepend(item);
      }
      while (list.childElementCount > ACTIVITY_KEPT) list.lastElementChild!.remove();
    }
  }

  #paintTotals(now: number): void {
    let size = 0, done = 0;
    const counts: Partial<Record<TaskStatus, number>> = {};
    for (const row of this.#rows.values()) {
      counts[row.status] = (counts[row.status] ?? 0) + 1;
      if (row.status === "canceled") continue;
      size += row.size;
      done += Math.min(row.done, row.size);
    }
    this.#rate.add(now, done);
    const speed = this.#rate.perSecond(now);
    const fill = this.root.querySelector<HTMLElement>("#overall .fill")!;
    fill.style.width = `${size > 0 ? ((100 * done) / size).toFixed(1) : 0}%`;
    const parts = Object.entries(counts).map(([status, n]) => `${n} ${status}`);
    let text = `${this.#rows.size} files · ${bytes(done)} of ${bytes(size)}`;
    if (speed > 0 && done < size) {
      text += ` · ${bytes(speed)}/s · ${duration((size - done) / speed)} left`;
    }
    const summary = this.root.querySelector<HTMLElement>("#summary")!;
    summary.textContent = `${text} · ${parts.join(", ") || "nothing yet"}`;
    summary.dataset.files = String(this.#rows.size);
    summary.dataset.done = String(counts.done ?? 0);
    // Keep the speed and time left moving while bytes flow.
    if ((counts.running ?? 0) > 0 && !this.#ticking) {
      this.#ticking = true;
      setTimeout(() => {
        this.#ticking = false;
        this.#schedule();
      }, 500);
    }
  }
}
