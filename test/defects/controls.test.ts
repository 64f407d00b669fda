/**
 * Defect 16: the table of controls, tested whole. Every control in every
 * status acts, does nothing, or throws TaskStateError, as the README's table
 * says; this file spells the table out again instead of reading the code's.
 */
import { describe, expect, it } from "vitest";
import {
  createEngine,
  type Engine,
  type Task,
  TaskStateError,
  type TaskStatus,
  type WorkFunction,
} from "../../src/mod.ts";
import { memoryDriver } from "../../drivers/memory/mod.ts";
import { Gate, until } from "../engine/_helpers.ts";

type Control = "start" | "resume" | "pause" | "cancel" | "retry" | "remove";
/** What the control leads to: a status, "removed", "same" (a no-op) or "refused". */
type Outcome = TaskStatus | "removed" | "same" | "refused";

/** `resume()` is `start()`. */
const START: Record<TaskStatus, Outcome> = {
  pending: "running",
  running: "same",
  paused: "running",
  done: "refused",
  failed: "refused",
  canceled: "refused",
};

const TABLE: Record<Control, Record<TaskStatus, Outcome>> = {
  start: START,
  resume: START,
  pause: {
    pending: "paused",
    running: "paused",
    paused: "same",
    done: "refused",
    failed: "refused",
    canceled: "refused",
  },
  cancel: {
    pending: "canceled",
    running: "canceled",
    paused: "canceled",
    done: "refused",
    failed: "refused",
    canceled: "same",
  },
  retry: {
    pending: "same",
    running: "same",
    paused: "refused",
    done: "refused",
    failed: "running",
    canceled: "refused",
  },
  remove: {
    pending: "removed",
    running: "removed",
    paused: "removed",
    done: "removed",
    failed: "removed",
    canceled: "removed",
  },
};

const STATUSES: TaskStatus[] = ["pending", "running", "paused", "done", "failed", "canceled"];

/** A task in `status`, on an engine whose steps wait at a gate (failing once asked to). */
async function taskIn(status: TaskStatus) {
  const gate = new Gate();
  let failing = false;
  const gated: WorkFunction<{ n: number }, number> = async (s, ctx) => {
    if (failing) throw new Error("planned failure");
    await gate.pass(ctx);
    if (failing) throw new Error("planned failure");
    return s.n >= 100 ? ctx.done(s.n) : { n: s.n + 1 };
  };
  const driver = memoryDriver();
  const engine: Engine = await createEngine({
    driver,
    work: { gated },
    retry: { maxAttempts: 1 },
  });
  const start = status === "running" || status === "done" || status === "failed";
  const task: Task = await engine.create("gated", { n: status === "done" ? 100 : 0 }, {
    id: "t",
    start,
  });
  if (status === "running") await until(() => gate.isWaiting("t"), 2000, "the first step");
  if (status === "done") {
    gate.open("t", 1);
    await task.result();
  }
  if (status === "failed") {
    await until(() => gate.isWaiting("t"), 2000, "the first step");
    failing = true;
    gate.open("t", 1);
    await until(() => task.status === "failed", 2000, "the failure");
    failing = false;
  }
  if (status === "paused") await task.pause();
  if (status === "canceled") await task.cancel();
  expect(task.status).toBe(status);
  return { engine, task, driver, gate };
}

describe("defect 16: the table of controls", () => {
  for (const control of Object.keys(TABLE) as Control[]) {
    for (const status of STATUSES) {
      const outcome = TABLE[control][status];
      it(`${control}() on a ${status} task: ${outcome}`, async () => {
        const { engine, task, driver, gate } = await taskIn(status);
        const call = task[control]();
        // A plain pause lets the step in flight finish.
        if (control === "pause" && status === "running") gate.open("t", 1);
        if (outcome === "refused") {
          const error = await call.catch((e) => e);
          expect(error).toBeInstanceOf(TaskStateError);
          expect((error as TaskStateError).status).toBe(status);
          expect(task.status).toBe(status);
          expect((await driver.get("t"))?.status).toBe(status);
        } else {
          await call;
          if (outcome === "removed") expect(await driver.get("t")).toBeUndefined();
          else {
            const want = outcome === "same" ? status : outcome;
            if (want === "running") await until(() => task.status === "running", 2000, "running");
            expect(task.status).toBe(want);
            expect((await driver.get("t"))?.status).toBe(want);
          }
        }
        await engine.close();
      });
    }
  }

  it("a pause that finds the task finished by its last step is refused, and nothing changes", async () => {
    const { engine, task, gate } = await taskIn("running");
    const last = await engine.create("gated", { n: 100 }, { id: "last" });
    await until(() => gate.isWaiting("last"), 2000, "its step");
    const pausing = last.pause();
    gate.open("last", 1);
    const error = await pausing.catch((e) => e);
    expect(error).toBeInstanceOf(TaskStateError);
    expect((error as Error).message).toMatch(/finished before it could be paused/);
    expect(last.status).toBe("done");
    expect(task.status).toBe("running");
    await engine.close();
  });
});
