import { describe, expect, it } from "vitest";
import { createEngine, type Driver, UnknownWorkError, type WorkFunction } from "../../src/mod.ts";
import type { TaskRecord, Write } from "../../src/driver.ts";
import { memoryDriver } from "../../drivers/memory/mod.ts";
import { FakeClock, flush, Gate, until } from "./_helpers.ts";

/** A memory driver that records every batch handed to commit(). */
function recording(): { driver: Driver; batches: Write[][] } {
  const inner = memoryDriver();
  const batches: Write[][] = [];
  const driver: Driver = Object.assign(Object.create(inner) as Driver, {
    commit(writes: readonly Write[]) {
      batches.push([...writes]);
      return inner.commit(writes);
    },
  });
  return { driver, batches };
}

const count: WorkFunction<{ n: number; to: number }, number> = (
  s,
  ctx,
) => (s.n >= s.to ? ctx.done(s.n) : { n: s.n + 1, to: s.to });

describe("retries", () => {
  it("retry a throwing step with exponential backoff and jitter, counting ctx.attempt", async () => {
    const clock = new FakeClock();
    const attempts: number[] = [];
    const flaky: WorkFunction<{ n: number }, string> = (_s, ctx) => {
      attempts.push(ctx.attempt);
      if (ctx.attempt < 4) throw new Error(`try ${ctx.attempt}`);
      return ctx.done("ok");
    };
    const engine = await createEngine({
      driver: memoryDriver(),
      work: { flaky },
      clock,
      random: () => 1 - Number.EPSILON,
      retry: { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 250, factor: 2 },
    });
    const task = await engine.create("flaky", { n: 0 });
    await until(() => clock.pending.length === 1, 2000, "the first backoff");
    // jitter in [delay/2, delay): with random ≈ 1 the delays are ≈ 100, 200, then capped at 250.
    expect(clock.pending[0]).toBeCloseTo(100, 5);
    clock.advance(100);
    await until(
      () => clock.pending.length === 1 && attempts.length === 2,
      2000,
      "the second backoff",
    );
    expect(clock.pending[0]).toBeCloseTo(200, 5);
    clock.advance(200);
    await until(
      () => clock.pending.length === 1 && attempts.length === 3,
      2000,
      "the third backoff",
    );
    expect(clock.pending[0]).toBeCloseTo(250, 5);
    clock.advance(250);
    expect(await task.result()).toBe("ok");
    expect(attempts).toEqual([1, 2, 3, 4]);
    await engine.close();
  });

  it("jitter draws each delay between half and all of it", async () => {
    const clock = new FakeClock();
    const flaky: WorkFunction<null> = () => {
      throw new Error("no");
    };
    const engine = await createEngine({
      driver: memoryDriver(),
      work: { flaky },
      clock,
      random: () => 0,
      retry: { initialDelayMs: 100 },
    });
    await engine.create("flaky", null);
    await until(() => clock.pending.length === 1, 2000, "a backoff");
    expect(clock.pending[0]).toBe(50);
    await engine.close();
  });

  it("fail the task after maxAttempts, with the error stored and a failed event", async () => {
    const driver = memoryDriver();
    const failing: WorkFunction<{ n: number }> = () => {
      throw Object.assign(new TypeError("bad input"), { code: "E_BAD" });
    };
    const engine = await createEngine({
      driver,
      work: { failing },
      retry: { maxAttempts: 2, initialDelayMs: 1 },
    });
    const failed: Error[] = [];
    engine.on("failed", (e) => failed.push(e.error));
    const task = await engine.create("failing", { n: 1 }, { id: "f" });
    await expect(task.result()).rejects.toThrow(/bad input/);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toBeInstanceOf(TypeError);
    expect(await driver.get("f")).toMatchObject({
      status: "failed",
      error: { name: "TypeError", message: "bad input", code: "E_BAD" },
    });
    await engine.close();
    const again = await createEngine({ driver, work: { failing } });
    const loaded = await again.get("f");
    expect(loaded?.error).toBeInstanceOf(Error);
    expect(loaded?.error?.message).toBe("bad input");
    expect((loaded?.error as Error & { code?: string }).code).toBe("E_BAD");
    await again.close();
  });

  it("do not retry a step that returns undefined", async () => {
    let calls = 0;
    const broken: WorkFunction<{ n: number }> = () => {
      calls++;
      return undefined as never;
    };
    const engine = await createEngine({
      driver: memoryDriver(),
      work: { broken },
      retry: { initialDelayMs: 1 },
    });
    const task = await engine.create("broken", { n: 0 });
    await expect(task.result()).rejects.toThrow(/returned undefined/);
    expect(calls).toBe(1);
    expect(task.state).toEqual({ n: 0 });
    await engine.close();
  });
});

describe("concurrency", () => {
  it("steps at most `concurrency` tasks at once; the rest wait as pending", async () => {
    const gate = new Gate();
    let active = 0;
    let most = 0;
    const gated: WorkFunction<{ n: number }, number> = async (s, ctx) => {
      active++;
      most = Math.max(most, active);
      try {
        await gate.pass(ctx);
      } finally {
        active--;
      }
      return s.n >= 2 ? ctx.done(s.n) : { n: s.n + 1 };
    };
    const engine = await createEngine({ driver: memoryDriver(), work: { gated }, concurrency: 2 });
    const tasks = await Promise.all(
      [0, 1, 2, 3].map((i) => engine.create("gated", { n: 0 }, { id: `t${i}` })),
    );
    await until(() => gate.isWaiting("t0") && gate.isWaiting("t1"), 2000, "two running");
    await flush(5);
    expect(tasks.map((t) => t.status)).toEqual(["running", "running", "pending", "pending"]);
    for (const t of tasks) gate.open(t.id, 10);
    expect(await Promise.all(tasks.map((t) => t.result()))).toEqual([2, 2, 2, 2]);
    expect(most).toBe(2);
    await engine.close();
  });
});

describe("checkpoints", () => {
  it("commit every step by default", async () => {
    const { driver, batches } = recording();
    const engine = await createEngine({ driver, work: { count } });
    await (await engine.create("count", { n: 0, to: 9 }, { id: "c" })).result();
    const puts = batches.flat().filter((w): w is Extract<Write, { type: "put" }> =>
      w.type === "put"
    );
    // create, running, 9 steps, done
    expect(puts.map((w) => w.record.step)).toEqual([0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await engine.close();
  });

  it("everySteps commits after that many steps, and the final step always commits", async () => {
    const { driver, batches } = recording();
    const engine = await createEngine({ driver, work: { count }, checkpoint: { everySteps: 4 } });
    await (await engine.create("count", { n: 0, to: 9 }, { id: "c" })).result();
    const steps = batches.flat().map((w) => (w.type === "put" ? w.record.step : -1));
    expect(steps).toEqual([0, 0, 4, 8, 10]);
    await engine.close();
  });

  it("everyMs commits once that long passed since the last commit", async () => {
    const clock = new FakeClock();
    const { driver, batches } = recording();
    const ticking: WorkFunction<{ n: number }, number> = (s, ctx) => {
      clock.time += 10;
      return s.n >= 10 ? ctx.done(s.n) : { n: s.n + 1 };
    };
    const engine = await createEngine({
      driver,
      work: { ticking },
      clock,
      checkpoint: { everyMs: 35 },
    });
    await (await engine.create("ticking", { n: 0 }, { id: "c" })).result();
    const steps = batches.flat().map((w) => (w.type === "put" ? w.record.step : -1));
    expect(steps).toEqual([0, 0, 4, 8, 11]);
    await engine.close();
  });

  it("a plain pause and close commit the steps done since the last checkpoint", async () => {
    const gate = new Gate();
    const driver = memoryDriver();
    const gated: WorkFunction<{ n: number }> = async (s, ctx) => {
      await gate.pass(ctx);
      return { n: s.n + 1 };
    };
    const engine = await createEngine({ driver, work: { gated }, checkpoint: { everySteps: 100 } });
    const task = await engine.create("gated", { n: 0 }, { id: "g" });
    gate.open("g", 5);
    await until(() => task.step === 5 && gate.isWaiting("g"), 2000, "five steps");
    expect((await driver.get("g"))?.step).toBe(0);
    const closing = engine.close();
    gate.open("g", 1);
    await closing;
    expect(await driver.get("g")).toMatchObject({ status: "running", step: 6, state: { n: 6 } });
  });
});

describe("engine.idle() and close()", () => {
  it("idle() resolves once no task runs or waits", async () => {
    const engine = await createEngine({ driver: memoryDriver(), work: { count } });
    await engine.idle();
    const tasks = await Promise.all(
      [1, 2, 3].map((i) => engine.create("count", { n: 0, to: i * 50 })),
    );
    await engine.idle();
    expect(tasks.map((t) => t.status)).toEqual(["done", "done", "done"]);
    await engine.close();
  });

  it("close() aborts a step that outlives the timeout; the task keeps its status and resumes in the next engine", async () => {
    const driver = memoryDriver();
    let hang = true;
    const stuck: WorkFunction<{ n: number }, number> = async (s, ctx) => {
      if (hang && s.n === 2) await new Promise(() => {});
      return s.n >= 3 ? ctx.done(s.n) : { n: s.n + 1 };
    };
    const first = await createEngine({ driver, work: { stuck } });
    const task = await first.create("stuck", { n: 0 }, { id: "s" });
    await until(() => task.step === 2, 2000, "two steps");
    const started = Date.now();
    await first.close({ timeoutMs: 50 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await driver.get("s")).toMatchObject({ status: "running", step: 2 });
    hang = false;
    const second = await createEngine({ driver, work: { stuck } });
    await second.idle();
    expect(await (await second.get("s"))?.result()).toBe(3);
    await second.close();
  });

  it("close() rejects pending result() calls with EngineClosedError", async () => {
    const gate = new Gate();
    const gated: WorkFunction<null> = async (_s, ctx) => {
      await gate.pass(ctx);
      return null;
    };
    const engine = await createEngine({
      driver: memoryDriver(),
      work: { gated },
      closeTimeoutMs: 10,
    });
    const task = await engine.create("gated", null);
    const result = task.result();
    await engine.close();
    await expect(result).rejects.toMatchObject({ code: "ENGINE_CLOSED" });
  });
});

describe("opening a store", () => {
  it("resumes abandoned pending and running tasks, not paused ones", async () => {
    const driver = memoryDriver();
    const base = { work: "count", step: 0, rev: 1, createdAt: 1, updatedAt: 1 };
    const records: TaskRecord[] = [
      { ...base, id: "p", status: "pending", state: { n: 0, to: 3 } },
      { ...base, id: "r", status: "running", state: { n: 2, to: 3 }, step: 2 },
      { ...base, id: "z", status: "paused", state: { n: 0, to: 3 } },
    ];
    await driver.commit(records.map((record) => ({ type: "put", record, expectRev: 0 })));
    const engine = await createEngine({ driver, work: { count } });
    await engine.idle();
    const byId = Object.fromEntries((await engine.list()).map((i) => [i.id, i]));
    expect(byId.p).toMatchObject({ status: "done", result: 3, step: 4 });
    expect(byId.r).toMatchObject({ status: "done", result: 3, step: 4 });
    expect(byId.z).toMatchObject({ status: "paused", step: 0 });
    await engine.close();
  });

  it("autoResume: false leaves abandoned tasks alone until started", async () => {
    const driver = memoryDriver();
    const first = await createEngine({ driver, work: { count } });
    await first.create("count", { n: 0, to: 3 }, { id: "a", start: false });
    await first.close();
    const second = await createEngine({ driver, work: { count }, autoResume: false });
    await second.idle();
    const task = await second.get("a");
    expect(task?.status).toBe("pending");
    await task?.start();
    expect(await task?.result()).toBe(3);
    await second.close();
  });

  it("tolerates work names it does not know: the tasks stay, are listed, and an error event names them", async () => {
    const driver = memoryDriver();
    const first = await createEngine({ driver, work: { count, gone: count } });
    await first.create("gone", { n: 0, to: 1e9 }, { id: "old", start: false });
    await first.close();
    const second = await createEngine({ driver, work: { count } });
    const errors: Error[] = [];
    second.on("error", (e) => errors.push(e.error));
    await flush(5);
    await second.idle();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(UnknownWorkError);
    expect(errors[0]!.message).toContain('"gone"');
    expect(errors[0]!.message).toContain('"old"');
    expect((await second.list()).map((i) => [i.id, i.status])).toEqual([["old", "pending"]]);
    expect((await driver.get("old"))?.status).toBe("pending");
    await expect((await second.get("old"))!.start()).rejects.toBeInstanceOf(UnknownWorkError);
    await second.close();
  });
});

describe("concurrency on open", () => {
  it("tasks left running that wait for a slot show as pending, then all finish", async () => {
    const driver = memoryDriver();
    const base = {
      work: "count",
      step: 0,
      rev: 1,
      createdAt: 1,
      updatedAt: 1,
      status: "running" as const,
    };
    await driver.commit(
      ["a", "b", "c"].map((id) => ({
        type: "put" as const,
        record: { ...base, id, state: { n: 0, to: 30 } },
        expectRev: 0,
      })),
    );
    const engine = await createEngine({ driver, work: { count }, concurrency: 1 });
    const statuses: string[] = [];
    engine.on("status", (e) => statuses.push(`${e.task.id}:${e.from}→${e.to}`));
    await engine.idle();
    expect(statuses.filter((s) => s.endsWith("running→pending")).sort()).toEqual([
      "b:running→pending",
      "c:running→pending",
    ]);
    expect((await engine.list()).map((i) => i.status)).toEqual(["done", "done", "done"]);
    await engine.close();
  });
});

describe("concurrency across engines", () => {
  it("an engine with no free slot lets another engine standing by take over a task whose engine closed", async () => {
    const driver = memoryDriver();
    const gate = new Gate();
    const slow: WorkFunction<{ n: number }, number> = async (s, ctx) => {
      await flush(1);
      return s.n >= 20 ? ctx.done(s.n) : { n: s.n + 1 };
    };
    const blocked: WorkFunction<null, number> = async (_s, ctx) => {
      await gate.pass(ctx);
      return ctx.done(0);
    };
    const work = { slow, blocked };
    const a = await createEngine({ driver, work, owner: "a" });
    // b hears of the task first and stands by first, but its only slot is busy.
    const b = await createEngine({ driver, work, owner: "b", concurrency: 1 });
    await b.create("blocked", null, { id: "busy" });
    const c = await createEngine({ driver, work, owner: "c", concurrency: 1 });
    const task = await a.create("slow", { n: 0 }, { id: "x" });
    await until(() => task.step >= 5, 5000, "five steps in a");
    await a.close();
    // c runs it to the end while b's slot is still taken.
    await until(async () => (await c.get("x"))?.status === "done", 5000, "c to finish the task");
    expect(gate.isWaiting("busy")).toBe(true);
    expect((await b.get("x"))?.status).toBe("done");
    gate.open("busy");
    await b.idle();
    await b.close();
    await c.close();
  });
});

describe("close() and ctx.signal", () => {
  it("aborts the signal of a step that is still running a second after close()", async () => {
    let aborted: unknown;
    const waits: WorkFunction<null> = (_s, ctx) =>
      new Promise((resolve) =>
        ctx.signal.addEventListener("abort", () => {
          aborted = ctx.signal.reason;
          resolve(null);
        })
      );
    const engine = await createEngine({ driver: memoryDriver(), work: { waits } });
    await engine.create("waits", null);
    await flush(5);
    const started = Date.now();
    await engine.close();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(4000);
    expect((aborted as Error).name).toBe("AbortError");
  });
});

describe("opening, as a caller sees it", () => {
  it("delivers what opening raised to listeners attached right after createEngine, even through a wrapper", async () => {
    const driver = memoryDriver();
    const first = await createEngine({ driver, work: { gone: count } });
    await first.create("gone", { n: 0, to: 3 }, { id: "x", start: false });
    await first.close();
    const open = async () => {
      const engine = await createEngine({ driver, work: { count } });
      return engine;
    };
    const wrapped = async () => open();
    const engine = await wrapped();
    const errors: Error[] = [];
    engine.on("error", (e) => errors.push(e.error));
    await engine.idle();
    expect(errors.map((e) => e.name)).toEqual(["UnknownWorkError"]);
    await engine.close();
  });

  it("resumes tasks and reaches idle() with fake timers installed", async () => {
    const { vi } = await import("vitest");
    const driver = memoryDriver();
    const first = await createEngine({ driver, work: { count } });
    await first.create("count", { n: 0, to: 20 }, { id: "r", start: false });
    await first.close();
    vi.useFakeTimers();
    try {
      const engine = await createEngine({ driver, work: { count } });
      await engine.idle();
      expect((await engine.get("r"))?.status).toBe("done");
      await engine.close({ timeoutMs: 0 });
    } finally {
      vi.useRealTimers();
    }
  });
});
