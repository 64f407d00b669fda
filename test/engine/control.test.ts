import { describe, expect, it } from "vitest";
import {
  createEngine,
  TaskCanceledError,
  TaskFailedError,
  TaskNotFoundError,
  TaskStateError,
  type WorkFunction,
} from "../../src/mod.ts";
import { memoryDriver } from "../../drivers/memory/mod.ts";
import { Gate, until } from "./_helpers.ts";

function setup(options: { retry?: { maxAttempts?: number; initialDelayMs?: number } } = {}) {
  const gate = new Gate();
  const driver = memoryDriver();
  const gated: WorkFunction<{ n: number; to: number }, number> = async (s, ctx) => {
    await gate.pass(ctx);
    return s.n >= s.to ? ctx.done(s.n) : { n: s.n + 1, to: s.to };
  };
  const open = () =>
    createEngine({ driver, work: { gated }, retry: { initialDelayMs: 1, ...options.retry } });
  return { gate, driver, open };
}

describe("task.pause()", () => {
  it("lets the step in flight finish and commits its state as paused", async () => {
    const { gate, driver, open } = setup();
    const engine = await open();
    const task = await engine.create("gated", { n: 0, to: 100 }, { id: "t" });
    gate.open("t", 3);
    await until(() => gate.isWaiting("t") && task.step === 3, 5000, "three steps");
    const paused = task.pause();
    gate.open("t", 1);
    await paused;
    expect(task.status).toBe("paused");
    expect(task.step).toBe(4);
    expect(task.state).toEqual({ n: 4, to: 100 });
    expect(await driver.get("t")).toMatchObject({
      status: "paused",
      step: 4,
      state: { n: 4, to: 100 },
    });
    await engine.close();
  });

  it("immediate: aborts ctx.signal, drops the step's outcome and keeps the last committed state", async () => {
    const { gate, driver, open } = setup();
    const engine = await open();
    const task = await engine.create("gated", { n: 0, to: 100 }, { id: "t" });
    gate.open("t", 2);
    await until(() => gate.isWaiting("t") && task.step === 2, 5000, "two steps");
    await task.pause({ immediate: true });
    expect(task.status).toBe("paused");
    expect(await driver.get("t")).toMatchObject({
      status: "paused",
      step: 2,
      state: { n: 2, to: 100 },
    });
    const calls = gate.calls.length;
    await new Promise((r) => setTimeout(r, 20));
    expect(gate.calls.length).toBe(calls);
    await engine.close();
  });

  it("on a pending task that has not started, commits paused", async () => {
    const { driver, open } = setup();
    const engine = await open();
    const task = await engine.create("gated", { n: 0, to: 1 }, { id: "t", start: false });
    await task.pause();
    expect((await driver.get("t"))?.status).toBe("paused");
    await engine.close();
  });

  it("refuses a finished task with TaskStateError, as resume() does", async () => {
    const { gate, open } = setup();
    const engine = await open();
    const task = await engine.create("gated", { n: 0, to: 0 }, { id: "t" });
    gate.open("t", 1);
    await task.result();
    await expect(task.pause()).rejects.toBeInstanceOf(TaskStateError);
    expect(task.status).toBe("done");
    await engine.close();
  });
});

describe("task.resume()", () => {
  it("continues a paused task from its committed state", async () => {
    const { gate, open } = setup();
    const engine = await open();
    const task = await engine.create("gated", { n: 0, to: 5 }, { id: "t" });
    gate.open("t", 2);
    await until(() => task.step === 2 && gate.isWaiting("t"), 5000, "two steps");
    await task.pause({ immediate: true });
    gate.calls.length = 0;
    await task.resume();
    gate.open("t", 100);
    expect(await task.result()).toBe(5);
    expect(gate.calls[0]).toMatchObject({ step: 2, attempt: 1 });
    expect(task.step).toBe(6);
    await engine.close();
  });

  it("is a no-op on a running task, and start() runs a task created with start: false", async () => {
    const { gate, open } = setup();
    const engine = await open();
    const task = await engine.create("gated", { n: 0, to: 2 }, { id: "t", start: false });
    await new Promise((r) => setTimeout(r, 10));
    expect(gate.calls).toEqual([]);
    await task.start();
    await task.start();
    await task.resume();
    gate.open("t", 10);
    expect(await task.result()).toBe(2);
    expect(gate.calls.map((c) => c.step)).toEqual([0, 1, 2]);
    await engine.close();
  });

  it("refuses a finished task with TaskStateError", async () => {
    const { gate, open } = setup();
    const engine = await open();
    const task = await engine.create("gated", { n: 0, to: 0 }, { id: "t" });
    gate.open("t", 1);
    await task.result();
    await expect(task.resume()).rejects.toBeInstanceOf(TaskStateError);
    await engine.close();
  });
});

describe("task.cancel()", () => {
  it("aborts the step, commits canceled, keeps the state, and result() rejects", async () => {
    const { gate, driver, open } = setup();
    const engine = await open();
    const task = await engine.create("gated", { n: 0, to: 100 }, { id: "t" });
    gate.open("t", 3);
    await until(() => task.step === 3 && gate.isWaiting("t"), 5000, "three steps");
    const result = task.result();
    await task.cancel();
    expect(task.status).toBe("canceled");
    expect(await driver.get("t")).toMatchObject({ status: "canceled", state: { n: 3, to: 100 } });
    await expect(result).rejects.toBeInstanceOf(TaskCanceledError);
    await expect(task.result()).rejects.toBeInstanceOf(TaskCanceledError);
    await expect(task.resume()).rejects.toBeInstanceOf(TaskStateError);
    await engine.close();
  });

  it("cancels a paused task", async () => {
    const { driver, open } = setup();
    const engine = await open();
    const task = await engine.create("gated", { n: 0, to: 100 }, { id: "t", start: false });
    await task.pause();
    await task.cancel();
    expect((await driver.get("t"))?.status).toBe("canceled");
    await engine.close();
  });
});

describe("task.retry()", () => {
  it("sends a failed task back to pending with its last state, and it runs again", async () => {
    let failing = true;
    const driver = memoryDriver();
    const flaky: WorkFunction<{ n: number }, number> = (s, ctx) => {
      if (s.n === 2 && failing) throw new Error("boom");
      return s.n >= 4 ? ctx.done(s.n) : { n: s.n + 1 };
    };
    const engine = await createEngine({
      driver,
      work: { flaky },
      retry: { maxAttempts: 2, initialDelayMs: 1 },
    });
    const task = await engine.create("flaky", { n: 0 }, { id: "f" });
    const error = await task.result().catch((e) => e);
    expect(error).toBeInstanceOf(TaskFailedError);
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.message).toContain("boom");
    expect(task.status).toBe("failed");
    expect(task.error?.message).toBe("boom");
    expect(await driver.get("f")).toMatchObject({
      status: "failed",
      state: { n: 2 },
      error: { message: "boom" },
    });
    failing = false;
    await task.retry();
    expect(await task.result()).toBe(4);
    expect(task.error).toBeUndefined();
    await engine.close();
  });

  it("refuses a task that is not failed", async () => {
    const { gate, open } = setup();
    const engine = await open();
    const task = await engine.create("gated", { n: 0, to: 0 }, { id: "t" });
    gate.open("t", 1);
    await task.result();
    await expect(task.retry()).rejects.toBeInstanceOf(TaskStateError);
    await engine.close();
  });
});

describe("task.remove()", () => {
  it("stops a running task and deletes its record", async () => {
    const { gate, driver, open } = setup();
    const engine = await open();
    const task = await engine.create("gated", { n: 0, to: 100 }, { id: "t" });
    gate.open("t", 1);
    await until(() => task.step === 1 && gate.isWaiting("t"), 5000, "one step");
    const result = task.result();
    await task.remove();
    expect(await driver.get("t")).toBeUndefined();
    expect(await engine.get("t")).toBeUndefined();
    await expect(result).rejects.toBeInstanceOf(TaskNotFoundError);
    await expect(task.resume()).rejects.toBeInstanceOf(TaskNotFoundError);
    const again = await engine.create("gated", { n: 7, to: 7 }, { id: "t" });
    expect(again).not.toBe(task);
    gate.open("t", 1);
    expect(await again.result()).toBe(7);
    await engine.close();
  });
});

describe("task.result()", () => {
  it("resolves with the typed result, and step counts the final step", async () => {
    const { gate, open } = setup();
    const engine = await open();
    const task = await engine.create("gated", { n: 0, to: 3 }, { id: "t" });
    gate.open("t", 10);
    const n: number = await task.result();
    expect(n).toBe(3);
    expect(task.step).toBe(4);
    expect(task.status).toBe("done");
    expect(task.toJSON()).toMatchObject({ id: "t", status: "done", result: 3, step: 4 });
    await engine.close();
  });
});

describe("a store that refuses a commit", () => {
  it("pauses the task with its last committed state, reports it, and resume() runs it again", async () => {
    const inner = memoryDriver();
    let failNext = false;
    const driver = Object.assign(Object.create(inner), {
      commit(writes: Parameters<typeof inner.commit>[0]) {
        if (failNext) {
          failNext = false;
          return Promise.reject(
            Object.assign(new Error("no space left on device"), { code: "ENOSPC" }),
          );
        }
        return inner.commit(writes);
      },
    }) as typeof inner;
    const gate = new Gate();
    const gated: WorkFunction<{ n: number }, number> = async (s, ctx) => {
      await gate.pass(ctx);
      return s.n >= 5 ? ctx.done(s.n) : { n: s.n + 1 };
    };
    const engine = await createEngine({ driver, work: { gated } });
    const errors: Error[] = [];
    engine.on("error", (e) => errors.push(e.error));
    const task = await engine.create("gated", { n: 0 }, { id: "t" });
    gate.open("t", 2);
    await until(() => task.step === 2 && gate.isWaiting("t"), 2000, "two steps");
    failNext = true;
    gate.open("t", 1);
    await until(() => task.status === "paused", 2000, "the pause");
    expect(task.state).toEqual({ n: 2 });
    expect(task.step).toBe(2);
    expect(errors.map((e) => e.message)).toEqual(["no space left on device"]);
    expect(await inner.get("t")).toMatchObject({ status: "running", step: 2 });
    await task.resume();
    gate.open("t", 10);
    expect(await task.result()).toBe(5);
    await engine.close();
  });
});
