/**
 * The uploader's progress display. On a terminal: one bar for all files and
 * one per file in flight, with speed and time left, redrawn at most ten
 * times a second. Elsewhere (a pipe, a log file): plain lines, a status line
 * about once a second, so logs stay readable.
 */

/** Where the display writes: `process.stdout` on both runtimes. */
export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** One file as the display knows it. */
interface Entry {
  name: string;
  size: number;
  done: number;
  active: boolean;
  finished: boolean;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** `1536` → `"1.5 KiB"`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** `75` → `"1m15s"`, `2.34` → `"2.3s"`. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  if (seconds < 10) return `${Math.max(0, seconds).toFixed(1)}s`;
  const whole = Math.max(0, Math.round(seconds));
  return whole < 60
    ? `${whole}s`
    : `${Math.floor(whole / 60)}m${`${whole % 60}`.padStart(2, "0")}s`;
}

function bar(fraction: number, width: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
}

const percent = (done: number, total: number) =>
  `${Math.floor(total === 0 ? 100 : (done / total) * 100)}%`.padStart(4);

/** The progress of a run of uploads; see the module documentation. */
export class ProgressDisplay {
  readonly #out: Output;
  readonly #entries = new Map<string, Entry>();
  readonly #samples: { at: number; done: number }[] = [];
  readonly #redrawMs: number;
  #drawn = 0;
  #lastDraw = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** A display writing to `out`; `redrawMs` between redraws (plain lines: 1000). */
  constructor(out: Output, redrawMs?: number) {
    this.#out = out;
    this.#redrawMs = redrawMs ?? (out.isTTY ? 100 : 1000);
  }

  /** Adds a file: `done` bytes of it are on the server already; `finished` if all is uploaded. */
  add(id: string, name: string, size: number, done: number, finished: boolean): void {
    this.#entries.set(id, { name, size, done, active: false, finished });
  }

  /** The server has `done` bytes of file `id`. */
  update(id: string, done: number): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    entry.done = done;
    entry.active = done < entry.size;
    this.#schedule();
  }

  /** File `id` is on the server: a line for it, above the bars. */
  finished(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    entry.done = entry.size;
    entry.active = false;
    entry.finished = true;
    this.print(`uploaded ${entry.name} (${formatBytes(entry.size)})`);
  }

  /** Prints a line above the bars. */
  print(line: string): void {
    this.#clear();
    this.#out.write(`${line}\n`);
    this.#draw();
  }

  /** Stops redrawing and leaves the last bars on screen. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#clear();
    this.#draw();
    this.#drawn = 0;
  }

  /** Bytes on the server and in all. */
  totals(): { done: number; size: number; files: number; finished: number } {
    let done = 0;
    let size = 0;
    let finished = 0;
    for (const entry of this.#entries.values()) {
      done += entry.done;
      size += entry.size;
      if (entry.finished) finished++;
    }
    return { done, size, files: this.#entries.size, finished };
  }

  #schedule(): void {
    if (this.#timer) return;
    const wait = Math.max(0, this.#lastDraw + this.#redrawMs - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#lastDraw = Date.now();
      if (!this.#out.isTTY) return void this.#out.write(`progress ${this.#status()}\n`);
      this.#clear();
      this.#draw();
    }, wait);
  }

  /** Bytes a second over the last five seconds. */
  #speed(done: number): number {
    const now = Date.now();
    this.#samples.push({ at: now, done });
    while (this.#samples.length > 2 && this.#samples[0]!.at < now - 5000) this.#samples.shift();
    const first = this.#samples[0]!;
    return now > first.at ? ((done - first.done) * 1000) / (now - first.at) : 0;
  }

  #status(): string {
    const { done, size, files, finished } = this.totals();
    const speed = this.#speed(done);
    const left = speed > 0 ? formatSeconds((size - done) / speed) : "?";
    return `${percent(done, size)} ${finished}/${files} files, ${formatBytes(done)} of ` +
      `${formatBytes(size)}, ${formatBytes(Math.round(speed))}/s, ${left} left`;
  }

  #clear(): void {
    // Up to the first bar line, and clear from there to the end of the screen.
    if (this.#out.isTTY && this.#drawn > 0) this.#out.write(`\x1b[${this.#drawn}F\x1b[0J`);
    this.#drawn = 0;
  }

  /** The bars, on a terminal; elsewhere the status lines come from the throttled redraw. */
  #draw(): void {
    if (!this.#out.isTTY || this.#entries.size === 0) return;
    this.#lastDraw = Date.now();
    const width = Math.max(40, this.#out.columns ?? 80);
    const { done, size } = this.totals();
    const lines = [`${bar(size === 0 ? 1 : done / size, 24)} ${this.#status()}`];
    for (const entry of this.#entries.values()) {
      if (!entry.active) continue;
      const text = `  ${bar(entry.done / entry.size, 12)} ${percent(entry.done, entry.size)} ` +
        `${entry.name}  ${formatBytes(entry.done)} of ${formatBytes(entry.size)}`;
      lines.push(text);
    }
    const shown = lines.map((
      line,
    ) => (line.length >= width ? `${line.slice(0, width - 2)}…` : line));
    this.#out.write(`${shown.join("\n")}\n`);
    this.#drawn = shown.length;
  }
}
