import { describe, expect, it } from "vitest";
import {
  createEngine,
  EngineClosedError,
  StateNotStorableError,
  StaterError,
  TaskExistsError,
  UnknownWorkError,
  type WorkFunction,
} from "../../src/mod.ts";
import { memoryDriver } from "../../drivers/memory/mod.ts";

const count: WorkFunction<{ n: number; to: number }, number> = (
  s,
  ctx,
) => (s.n >= s.to ? ctx.done(s.n) : { n: s.n + 1, to: s.to });
const other: WorkFunction<null, string> = (_s, ctx) => ctx.done("other");

describe("engine.create()", () => {
  it("commits the task before it resolves", async () => {
    const driver = memoryDriver();
    const engine = await createEngine({ driver, work: { count } });
    const task = await engine.create("count", { n: 0, to: 5 }, { id: "a", start: false });
    const stored = await driver.get("a");
    expect(stored).toMatchObject({
      id: "a",
      work: "count",
      status: "pending",
      state: { n: 0, to: 5 },
      step: 0,
    });
    expect(task.status).toBe("pending");
    await engine.close();
  });

  it("gives a random UUID when no id is given", async () => {
    const engine = await createEngine({ driver: memoryDriver(), work: { count } });
    const a = await engine.create("count", { n: 0, to: 1 });
    const b = await engine.create("count", { n: 0, to: 1 });
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.id).not.toBe(b.id);
    await engine.close();
  });

  it("returns the same task, unchanged, for an id that exists", async () => {
    const engine = await createEngine({ driver: memoryDriver(), work: { count } });
    const a = await engine.create("count", { n: 0, to: 3 }, { id: "x", start: false });
    const b = await engine.create("count", { n: 50, to: 60 }, { id: "x" });
    expect(b).toBe(a);
    expect(b.state).toEqual({ n: 0, to: 3 });
    expect(b.status).toBe("pending");
    await engine.close();
  });

  it("is idempotent when two creates of one id race", async () => {
    const engine = await createEngine({ driver: memoryDriver(), work: { count } });
    const [a, b] = await Promise.all([
      engine.create("count", { n: 0, to: 3 }, { id: "r" }),
      engine.create("count", { n: 0, to: 3 }, { id: "r" }),
    ]);
    expect(a).toBe(b);
    expect(await a.result()).toBe(3);
    await engine.close();
  });

  it("returns the stored task after a restart, and refuses another work for that id", async () => {
    const driver = memoryDriver();
    const first = await createEngine({ driver, work: { count, other } });
    await (await first.create("count", { n: 0, to: 2 }, { id: "k" })).result();
    await first.close();
    const second = await createEngine({ driver, work: { count, other } });
    const again = await second.create("count", { n: 0, to: 99 }, { id: "k" });
    expect(again.status).toBe("done");
    expect(await again.result()).toBe(2);
    const error = await second.create("other", null, { id: "k" }).catch((e) => e);
    expect(error).toBeInstanceOf(TaskExistsError);
    expect(error).toBeInstanceOf(StaterError);
    expect(error.code).toBe("TASK_EXISTS");
    expect(error.message).toContain('"k"');
    await second.close();
  });

  it("refuses an unknown work name with UnknownWorkError", async () => {
    const engine = await createEngine({ driver: memoryDriver(), work: { count } });
    // @ts-expect-error: not a work name of this engine
    const error = await engine.create("nope", {}).catch((e) => e);
    expect(error).toBeInstanceOf(UnknownWorkError);
    expect(error.message).toContain("createEngine({ work })");
    await engine.close();
  });

  it("refuses an undefined or unstorable initial state, storing nothing", async () => {
    const driver = memoryDriver();
    const engine = await createEngine({
      driver,
      work: { any: ((s: unknown) => s) as WorkFunction },
    });
    await expect(engine.create("any", undefined, { id: "u" })).rejects.toBeInstanceOf(
      StateNotStorableError,
    );
    const error = await engine.create("any", { files: [{ handle: new (class Handle {})() }] }, {
      id: "h",
    }).catch((e) => e);
    expect(error).toBeInstanceOf(StateNotStorableError);
    expect(error.path).toBe("state.files[0].handle");
    expect(error.message).toContain("Handle");
    expect(await driver.list()).toEqual([]);
    await engine.close();
  });

  it("checks its arguments with TypeError", async () => {
    const engine = await createEngine({ driver: memoryDriver(), work: { count } });
    await expect(engine.create("count", { n: 0, to: 1 }, { id: "" })).rejects.toBeInstanceOf(
      TypeError,
    );
    // @ts-expect-error: ids are strings
    await expect(engine.create("count", { n: 0, to: 1 }, { id: 5 })).rejects.toBeInstanceOf(
      TypeError,
    );
    // @ts-expect-error: start is a boolean
    await expect(engine.create("count", { n: 0, to: 1 }, { start: "yes" })).rejects.toBeInstanceOf(
      TypeError,
    );
    await engine.close();
  });

  it("rejects with EngineClosedError once the engine is closed", async () => {
    const engine = await createEngine({ driver: memoryDriver(), work: { count } });
    await engine.close();
    await expect(engine.create("count", { n: 0, to: 1 })).rejects.toBeInstanceOf(EngineClosedError);
    await expect(engine.get("x")).rejects.toBeInstanceOf(EngineClosedError);
  });
});

describe("createEngine()", () => {
  it("checks its options with TypeError and RangeError", async () => {
    // @ts-expect-error: no driver
    await expect(createEngine({ work: { count } })).rejects.toBeInstanceOf(TypeError);
    // @ts-expect-error: no work
    await expect(createEngine({ driver: memoryDriver() })).rejects.toBeInstanceOf(TypeError);
    // @ts-expect-error: work functions only
    await expect(createEngine({ driver: memoryDriver(), work: { x: 1 } })).rejects.toBeInstanceOf(
      TypeError,
    );
    await expect(createEngine({ driver: memoryDriver(), work: { count }, concurrency: 0 })).rejects
      .toBeInstanceOf(RangeError);
    await expect(createEngine({ driver: memoryDriver(), work: { count }, concurrency: 1.5 }))
      .rejects.toBeInstanceOf(RangeError);
    await expect(
      createEngine({ driver: memoryDriver(), work: { count }, retry: { maxAttempts: 0 } }),
    ).rejects.toBeInstanceOf(RangeError);
    await expect(createEngine({ driver: memoryDriver(), work: { count }, retry: { factor: -1 } }))
      .rejects.toBeInstanceOf(RangeError);
  });

  it("uses the owner and createId it is given", async () => {
    let n = 0;
    const engine = await createEngine({
      driver: memoryDriver(),
      work: { count },
      owner: "me",
      createId: () => `id-${++n}`,
    });
    expect(engine.owner).toBe("me");
    expect((await engine.create("count", { n: 0, to: 0 })).id).toBe("id-1");
    await engine.close();
  });

  it("supports await using through Symbol.asyncDispose", async () => {
    const driver = memoryDriver();
    const engine = await createEngine({ driver, work: { count } });
    expect(typeof engine[Symbol.asyncDispose]).toBe("function");
    await engine[Symbol.asyncDispose]();
    await expect(engine.create("count", { n: 0, to: 1 })).rejects.toBeInstanceOf(EngineClosedError);
  });
});
