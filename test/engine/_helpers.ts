import type { Clock, StepContext } from "../../src/mod.ts";

/** A clock that moves only when told to. */
export class FakeClock implements Clock {
  time = 1_000_000;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #next = 1;
  now = () => this.time;
  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = this.#next++;
    this.#timers.set(id, { at: this.time + ms, fn });
    return id;
  };
  clearTimeout = (handle: unknown): void => {
    this.#timers.delete(handle as number);
  };
  get pending(): number[] {
    return [...this.#timers.values()].map((t) => t.at - this.time).sort((a, b) => a - b);
  }
  /** Moves time on by `ms`, firing what falls due, in order. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = [...this.#timers.entries()].filter(([, t]) =>
        t.at <= until
      ).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) {
        break;
      }
      this.#timers.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
    }
    this.time = until;
  }
}

/** Lets pending promise callbacks and zero timers run. */
export function flush(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` holds; fails after `ms`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  ms = 5000,
  what = "condition",
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await flush(1);
  }
}

/**
 * Steps that wait for a go-ahead: `gate.open(id, n)` lets task `id` take n
 * more steps; a waiting step ends early when its signal aborts.
 */
export class Gate {
  #tokens = new Map<string, number>();
  #waiting = new Map<string, () => void>();
  calls: { id: string; step: number; attempt: number }[] = [];

  isWaiting(id: string): boolean {
    return this.#waiting.has(id);
  }

  open(id: string, n = 1): void {
    this.#tokens.set(id, (this.#tokens.get(id) ?? 0) + n);
    this.#waiting.get(id)?.();
  }

  async pass(ctx: StepContext<unknown>): Promise<void> {
    this.calls.push({ id: ctx.taskId, step: ctx.step, attempt: ctx.attempt });
    for (;;) {
      const tokens = this.#tokens.get(ctx.taskId) ?? 0;
      if (tokens > 0) {
        this.#tokens.set(ctx.taskId, tokens - 1);
        return;
      }
      if (ctx.signal.aborted) throw ctx.signal.reason;
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#waiting.delete(ctx.taskId);
          ctx.signal.removeEventListener("abort", wake);
          resolve();
        };
        this.#waiting.set(ctx.taskId, wake);
        ctx.signal.addEventListener("abort", wake);
      });
    }
  }
}
