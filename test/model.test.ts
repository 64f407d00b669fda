/**
 * Model-based test: random sequences of create / step / fail / pause /
 * resume / cancel / retry / close-and-reopen against a simple model, checking
 * the guarantees of API.md after every command:
 * - the store and the Task objects agree with the model (status, state, step);
 * - every step call starts from the last committed state (a committed step
 *   never runs again; steps continue from the commit);
 * - no task is ever stepped twice at the same time.
 */
import fc from "fast-check";
import { expect, it } from "vitest";
import {
  createEngine,
  type Engine,
  type StepContext,
  TaskStateError,
  type WorkFunction,
} from "../src/mod.ts";
import { memoryDriver } from "../drivers/memory/mod.ts";

type Status = "pending" | "running" | "paused" | "done" | "failed" | "canceled";
interface ModelTask {
  status: Status;
  n: number;
  step: number;
  to: number;
  attempt: number;
}
const MAX_ATTEMPTS = 2;
const IDS = ["a", "b", "c"];

class World {
  driver = memoryDriver();
  engine!: Engine;
  model = new Map<string, ModelTask>();
  tokens = new Map<string, ("ok" | "fail")[]>();
  waiting = new Map<string, () => void>();
  active = new Map<string, number>();
  violations: string[] = [];

  work: Record<string, WorkFunction<{ n: number; to: number }, number>> = {
    gated: async (state, ctx) => {
      const id = ctx.taskId;
      const now = (this.active.get(id) ?? 0) + 1;
      this.active.set(id, now);
      try {
        if (now > 1) this.violations.push(`${id} stepped twice at once`);
        const stored = await this.driver.get(id);
        if (stored?.step !== ctx.step || (stored.state as { n: number }).n !== state.n) {
          this.violations.push(
            `${id} step ${ctx.step} started from n=${state.n}, but the store has step ${stored?.step} n=${
              (stored?.state as { n: number })?.n
            }`,
          );
        }
        const token = await this.pass(ctx);
        if (token === "fail") throw new Error(`planned failure of ${id}`);
        return state.n >= state.to ? ctx.done(state.n) : { n: state.n + 1, to: state.to };
      } finally {
        this.active.set(id, (this.active.get(id) ?? 1) - 1);
      }
    },
  };

  async pass(ctx: StepContext): Promise<"ok" | "fail"> {
    for (;;) {
      const next = this.tokens.get(ctx.taskId)?.shift();
      if (next) return next;
      if (ctx.signal.aborted) throw ctx.signal.reason;
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiting.delete(ctx.taskId);
          resolve();
        };
        this.waiting.set(ctx.taskId, wake);
        ctx.signal.addEventListener("abort", wake, { once: true });
      });
    }
  }

  give(id: string, token: "ok" | "fail"): void {
    this.tokens.set(id, [...(this.tokens.get(id) ?? []), token]);
    this.waiting.get(id)?.();
  }

  async open(): Promise<void> {
    this.engine = await createEngine({
      driver: this.driver,
      work: this.work,
      retry: { maxAttempts: MAX_ATTEMPTS, initialDelayMs: 0 },
      closeTimeoutMs: 10,
    });
  }

  /** Waits until the engine has caught up with the model, then compares them. */
  async settle(): Promise<void> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const mismatch = await this.mismatch();
      if (!mismatch) break;
      if (Date.now() > deadline) throw new Error(`engine never matched the model: ${mismatch}`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(this.violations).toEqual([]);
  }

  async mismatch(): Promise<string | undefined> {
    for (const [id, m] of this.model) {
      const task = await this.engine.get(id);
      const stored = await this.driver.get(id);
      if (!task || !stored) return `${id} missing`;
      const want = `${m.status} n=${m.n} step=${m.step}`;
      const have = `${task.status} n=${(task.state as { n: number }).n} step=${task.step}`;
      const kept = `${stored.status} n=${(stored.state as { n: number }).n} step=${stored.step}`;
      if (have !== want || kept !== want) {
        return `${id}: model ${want}, task ${have}, store ${kept}`;
      }
      if (m.status === "running" && !this.waiting.has(id)) {
        return `${id} not yet waiting for its next step`;
      }
    }
    return undefined;
  }

  /** What the model does when a running task's step is let through. */
  stepped(m: ModelTask): void {
    m.attempt = 1;
    m.step++;
    if (m.n >= m.to) m.status = "done";
    else m.n++;
  }
}

type Command = (w: World) => Promise<void>;

const pick = fc.constantFrom(...IDS);
const commands: fc.Arbitrary<Command>[] = [
  fc.tuple(pick, fc.integer({ min: 0, max: 4 }), fc.boolean()).map(
    ([id, to, start]) => async (w: World) => {
      const task = await w.engine.create("gated", { n: 0, to }, { id, start });
      if (!w.model.has(id)) {
        w.model.set(id, { status: start ? "running" : "pending", n: 0, step: 0, to, attempt: 1 });
      }
      expect(task.id).toBe(id);
    },
  ),
  pick.map((id) => async (w: World) => {
    const m = w.model.get(id);
    if (m?.status !== "running") return;
    w.give(id, "ok");
    w.stepped(m);
  }),
  pick.map((id) => async (w: World) => {
    const m = w.model.get(id);
    if (m?.status !== "running") return;
    w.give(id, "fail");
    if (m.attempt >= MAX_ATTEMPTS) {
      m.status = "failed";
      m.attempt = 1;
    } else m.attempt++;
  }),
  fc.tuple(pick, fc.boolean()).map(([id, immediate]) => async (w: World) => {
    const m = w.model.get(id);
    if (!m) return;
    const task = (await w.engine.get(id))!;
    // The table of controls: a finished task is not paused, one paused stays so.
    if (m.status === "done" || m.status === "failed" || m.status === "canceled") {
      await expect(task.pause({ immediate })).rejects.toBeInstanceOf(TaskStateError);
      return;
    }
    const pausing = task.pause({ immediate });
    if (m.status === "running" && !immediate) {
      w.give(id, "ok");
      w.stepped(m);
      if (m.status === "running") m.status = "paused";
    } else if (m.status === "running" || m.status === "pending") m.status = "paused";
    if ((m.status as Status) === "done") {
      await expect(pausing).rejects.toBeInstanceOf(TaskStateError);
    } else await pausing;
    m.attempt = 1;
  }),
  pick.map((id) => async (w: World) => {
    const m = w.model.get(id);
    if (!m) return;
    const task = (await w.engine.get(id))!;
    if (m.status === "done" || m.status === "failed" || m.status === "canceled") {
      await expect(task.resume()).rejects.toBeInstanceOf(TaskStateError);
      return;
    }
    await task.resume();
    m.status = "running";
  }),
  pick.map((id) => async (w: World) => {
    const m = w.model.get(id);
    if (!m) return;
    const task = (await w.engine.get(id))!;
    // The table of controls: a done or failed task is not canceled.
    if (m.status === "done" || m.status === "failed") {
      await expect(task.cancel()).rejects.toBeInstanceOf(TaskStateError);
      return;
    }
    await task.cancel();
    m.status = "canceled";
    m.attempt = 1;
  }),
  pick.map((id) => async (w: World) => {
    const m = w.model.get(id);
    if (!m) return;
    const task = (await w.engine.get(id))!;
    if (m.status === "failed") {
      await task.retry();
      m.status = "running";
    } else if (m.status === "pending" || m.status === "running") await task.retry();
    else await expect(task.retry()).rejects.toBeInstanceOf(TaskStateError);
  }),
  fc.constant(async (w: World) => {
    await w.engine.close();
    w.waiting.clear();
    await w.open();
    for (const m of w.model.values()) {
      m.attempt = 1;
      if (m.status === "pending") m.status = "running";
    }
  }),
];

it("random command sequences keep the engine, the store and the model in agreement", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.oneof(...commands), { minLength: 1, maxLength: 25 }),
      async (sequence) => {
        const world = new World();
        await world.open();
        try {
          for (const command of sequence) {
            await command(world);
            await world.settle();
          }
        } finally {
          await world.engine.close();
        }
      },
    ),
    { numRuns: 150 },
  );
}, 120_000);
