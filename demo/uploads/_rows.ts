/**
 * One row per upload: its model (name, size, bytes done, status, speed) and
 * its DOM, made once and updated in place, so that a frame touches only the
 * rows that changed. Also the formatting of sizes, speeds and times left.
 */
import type { Task, TaskInfo, TaskStatus } from "stater";

/** Bytes as "12.3 MiB". */
export function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) (n /= 1024), i++;
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/** Seconds as "1 h 02 min", "3 min 05 s" or "12 s". */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "…";
  const s = Math.round(seconds);
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${pad(Math.floor(s / 60) % 60)} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
  return `${s} s`;
}

/** Bytes per second over the last few seconds of samples. */
export class Rate {
  #samples: [number, number][] = [];

  constructor(private readonly windowMs = 3000) {}

  /** `value` (bytes done) at `now`. */
  add(now: number, value: number): void {
    const last = this.#samples.at(-1);
    if (last && value < last[1]) this.#samples = []; // started again from less
    this.#samples.push([now, value]);
    while (this.#samples.length > 2 && now - this.#samples[0]![0] > this.windowMs) {
      this.#samples.shift();
    }
  }

  /** The rate, in bytes per second; 0 without two samples a little apart. */
  perSecond(now: number): number {
    const first = this.#samples[0];
    const last = this.#samples.at(-1);
    if (!first || !last || now - last[0] > this.windowMs) return 0;
    const ms = last[0] - first[0];
    return ms < 200 ? 0 : ((last[1] - first[1]) * 1000) / ms;
  }
}

/** What a row shows. */
export interface Row {
  id: string;
  name: string;
  size: number;
  done: number;
  status: TaskStatus;
  error?: string;
  rate: Rate;
  element?: HTMLElement;
  /** The task, once an event named it. */
  task?: Task;
}

/** A row for a task snapshot. */
export function rowOf(info: Pick<TaskInfo, "id" | "state" | "status" | "progress" | "error">): Row {
  const state = info.state as { name?: string; size?: number; offset?: number };
  const size = info.progress?.total ?? state.size ?? 0;
  const done = info.status === "done" ? size : info.progress?.done ?? state.offset ?? 0;
  return {
    id: info.id,
    name: state.name ?? info.id,
    size,
    done,
    status: info.status,
    error: info.error?.message,
    rate: new Rate(),
  };
}

const ACTIONS: Record<TaskStatus, [string, string][]> = {
  pending: [["pause", "Pause"], ["cancel", "Cancel"]],
  running: [["pause", "Pause"], ["cancel", "Cancel"]],
  paused: [["resume", "Resume"], ["cancel", "Cancel"]],
  failed: [["retry", "Retry"], ["remove", "Remove"]],
  done: [],
  canceled: [["remove", "Remove"]],
};

/** Makes the row's element (once). */
export function renderRow(row: Row): HTMLElement {
  const element = document.createElement("li");
  element.className = "row";
  element.dataset.id = row.id;
  element.innerHTML = `<span class="name"></span><span class="bar"><span class="fill"></span>` +
    `</span><span class="info"></span><span class="actions"></span>`;
  element.querySelector(".name")!.textContent = row.name;
  row.element = element;
  updateRow(row, performance.now());
  return element;
}

/** Brings the row's element up to date, touching only what changed. */
export function updateRow(row: Row, now: number): void {
  const element = row.element;
  if (!element) return;
  const percent = row.size > 0 ? Math.min(100, (100 * row.done) / row.size) : 100;
  const fill = element.querySelector<HTMLElement>(".fill")!;
  fill.style.width = `${percent.toFixed(1)}%`;
  let info = `${bytes(row.done)} of ${bytes(row.size)}`;
  if (row.status === "running") {
    const speed = row.rate.perSecond(now);
    info += speed > 0
      ? ` · ${bytes(speed)}/s · ${duration((row.size - row.done) / speed)} left`
      : " · running";
  } else info += ` · ${row.status}`;
  if (row.status === "failed" && row.error) info += `: ${row.error}`;
  element.querySelector(".info")!.textContent = info;
  if (element.dataset.status !== row.status) {
    element.dataset.status = row.status;
    const actions = element.querySelector(".actions")!;
    actions.replaceChildren(...ACTIONS[row.status].map(([action, label]) => {
      const button = document.createElement("button");
      button.dataset.action = action;
      button.textContent = label;
      return button;
    }));
  }
}
