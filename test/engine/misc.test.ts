import { describe, expect, it } from "vitest";
import {
  createEngine,
  DriverError,
  EngineClosedError,
  OwnershipLostError,
  StateNotStorableError,
  StaterError,
  type StepContext,
  StoreCorruptError,
  StoreLockedError,
  TaskCanceledError,
  TaskExistsError,
  TaskFailedError,
  TaskNotFoundError,
  TaskStateError,
  UnknownWorkError,
  type WorkFunction,
} from "../../src/mod.ts";
import { memoryDriver } from "../../drivers/memory/mod.ts";

describe("errors", () => {
  it("all extend StaterError with a stable code and their own name", () => {
    const cases: [StaterError, string][] = [
      [new TaskExistsError("a", "w1", "w2"), "TASK_EXISTS"],
      [new TaskNotFoundError("a"), "TASK_NOT_FOUND"],
      [new TaskFailedError("a", new Error("x")), "TASK_FAILED"],
      [new TaskCanceledError("a"), "TASK_CANCELED"],
      [new UnknownWorkError(["w"]), "UNKNOWN_WORK"],
      [new StateNotStorableError("state.x", "it is a function"), "STATE_NOT_STORABLE"],
      [new StoreLockedError("held", { pid: 1 }), "STORE_LOCKED"],
      [new StoreCorruptError("bad", { file: "f", offset: 3 }), "STORE_CORRUPT"],
      [new DriverError("fs", "disk full"), "DRIVER_ERROR"],
      [new DriverError("fs", "disk full", { code: "ENOSPC" }), "ENOSPC"],
      [new EngineClosedError("x"), "ENGINE_CLOSED"],
      [new TaskStateError("a", "done", "no"), "INVALID_TASK_STATE"],
      [new OwnershipLostError("a", "expired"), "OWNERSHIP_LOST"],
    ];
    for (const [error, code] of cases) {
      expect(error).toBeInstanceOf(StaterError);
      expect(error).toBeInstanceOf(Error);
      expect(error.code).toBe(code);
      expect(error.name).toBe(error.constructor.name);
      expect(error.message.length).toBeGreaterThan(0);
    }
    const cause = new Error("root");
    expect(new TaskFailedError("a", cause).cause).toBe(cause);
    expect(new StoreCorruptError("bad", { file: "f", offset: 3 })).toMatchObject({
      file: "f",
      offset: 3,
    });
  });
});

describe("the step context", () => {
  it("carries taskId, work, step, attempt and a live signal", async () => {
    const seen: Omit<StepContext, "done" | "progress" | "emit" | "signal">[] = [];
    const probe: WorkFunction<{ n: number }, null> = (s, ctx) => {
      seen.push({ taskId: ctx.taskId, work: ctx.work, step: ctx.step, attempt: ctx.attempt });
      expect(ctx.signal).toBeInstanceOf(AbortSignal);
      expect(ctx.signal.aborted).toBe(false);
      return s.n >= 1 ? ctx.done(null) : { n: s.n + 1 };
    };
    const engine = await createEngine({ driver: memoryDriver(), work: { probe } });
    await (await engine.create("probe", { n: 0 }, { id: "p1" })).result();
    expect(seen).toEqual([
      { taskId: "p1", work: "probe", step: 0, attempt: 1 },
      { taskId: "p1", work: "probe", step: 1, attempt: 1 },
    ]);
    await engine.close();
  });

  it("done() works when destructured from ctx", async () => {
    const engine = await createEngine({
      driver: memoryDriver(),
      work: { d: (_s: null, { done }: StepContext<string>) => done("ok") },
    });
    expect(await (await engine.create("d", null)).result()).toBe("ok");
    await engine.close();
  });

  it("progress() refuses what is not a number", async () => {
    const bad: WorkFunction<null> = (_s, ctx) => {
      ctx.progress("half" as never);
      return ctx.done(null);
    };
    const engine = await createEngine({
      driver: memoryDriver(),
      work: { bad },
      retry: { maxAttempts: 1 },
    });
    await expect((await engine.create("bad", null)).result()).rejects.toThrow(/needs a number/);
    await engine.close();
  });
});

describe("engine.list() and engine.get()", () => {
  it("filter by one status, several, and work, and give plain snapshots", async () => {
    const a: WorkFunction<{ n: number }, number> = (s, ctx) => ctx.done(s.n);
    const engine = await createEngine({ driver: memoryDriver(), work: { a, b: a } });
    await (await engine.create("a", { n: 1 }, { id: "a1" })).result();
    await engine.create("b", { n: 2 }, { id: "b1", start: false });
    await (await engine.create("b", { n: 3 }, { id: "b2", start: false })).pause();
    const ids = async (filter?: Parameters<typeof engine.list>[0]) =>
      (await engine.list(filter)).map((i) => i.id).sort();
    expect(await ids()).toEqual(["a1", "b1", "b2"]);
    expect(await ids({ status: "done" })).toEqual(["a1"]);
    expect(await ids({ status: ["pending", "paused"] })).toEqual(["b1", "b2"]);
    expect(await ids({ work: "b" })).toEqual(["b1", "b2"]);
    const [done] = await engine.list({ status: "done" });
    expect(done).toEqual({
      id: "a1",
      work: "a",
      status: "done",
      state: { n: 1 },
      step: 1,
      progress: undefined,
      error: undefined,
      result: 1,
      createdAt: expect.any(Number),
      updatedAt: expect.any(Number),
    });
    expect(JSON.parse(JSON.stringify(done))).toMatchObject({ id: "a1", result: 1 });
    // @ts-expect-error: not a status
    await expect(engine.list({ status: "finished" })).rejects.toBeInstanceOf(TypeError);
    expect(await engine.get("nope")).toBeUndefined();
    expect(await engine.get("a1")).toBe(await engine.get("a1"));
    await engine.close();
  });
});

describe("engine.list() order", () => {
  it("lists tasks oldest first, ties by id, whatever order the driver keeps", async () => {
    let now = 100;
    const clock = {
      now: () => now,
      setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
      clearTimeout: (h: unknown) => clearTimeout(h as never),
    };
    const noop: WorkFunction<null> = (_s, ctx) => ctx.done(null);
    const inner = memoryDriver();
    const driver = Object.assign(Object.create(inner), {
      list: async (q: Parameters<typeof inner.list>[0]) => (await inner.list(q)).reverse(),
    }) as typeof inner;
    const engine = await createEngine({ driver, work: { noop }, clock });
    for (const id of ["c", "a", "b"]) {
      await engine.create("noop", null, { id, start: false });
      now += 10;
    }
    now -= 10;
    await engine.create("noop", null, { id: "0", start: false });
    expect((await engine.list()).map((i) => i.id)).toEqual(["c", "a", "0", "b"]);
    await engine.close();
  });
});
