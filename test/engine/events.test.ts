import { describe, expect, it } from "vitest";
import { createEngine, type EngineEvents, type WorkFunction } from "../../src/mod.ts";
import { memoryDriver } from "../../drivers/memory/mod.ts";
import { flush } from "./_helpers.ts";

const chatty: WorkFunction<{ n: number }, string> = (s, ctx) => {
  ctx.progress(s.n, 3);
  ctx.emit({ hello: s.n });
  return s.n >= 3 ? ctx.done(`done at ${s.n}`) : { n: s.n + 1 };
};

describe("events", () => {
  it("are emitted in order: status, step, progress, message, done", async () => {
    const engine = await createEngine({ driver: memoryDriver(), work: { chatty } });
    const log: string[] = [];
    const types = ["status", "step", "progress", "message", "done", "failed"] as const;
    for (const type of types) {
      engine.on(type, (e: EngineEvents[typeof type]) => {
        const ev = e as Record<string, unknown>;
        if (type === "status") log.push(`status ${ev.from}→${ev.to}`);
        else if (type === "step") log.push(`step ${ev.step}`);
        else if (type === "progress") log.push(`progress ${ev.done}/${ev.total}`);
        else if (type === "message") log.push(`message ${JSON.stringify(ev.message)}`);
        else if (type === "done") log.push(`done ${ev.result}`);
        else log.push(type);
      });
    }
    const task = await engine.create("chatty", { n: 2 });
    await task.result();
    expect(log).toEqual([
      "status pending→running",
      "progress 2/3",
      'message {"hello":2}',
      "step 1",
      "progress 3/3",
      'message {"hello":3}',
      "step 2",
      "status running→done",
      "done done at 3",
    ]);
    expect(task.progress).toEqual({ done: 3, total: 3 });
    await engine.close();
  });

  it("progress is stored with the next commit", async () => {
    const driver = memoryDriver();
    const engine = await createEngine({ driver, work: { chatty } });
    await (await engine.create("chatty", { n: 0 }, { id: "c" })).result();
    expect((await driver.get("c"))?.progress).toEqual({ done: 3, total: 3 });
    await engine.close();
  });

  it("task.on() hears only its task, and the returned function unsubscribes", async () => {
    const engine = await createEngine({ driver: memoryDriver(), work: { chatty } });
    const a = await engine.create("chatty", { n: 0 }, { id: "a", start: false });
    const b = await engine.create("chatty", { n: 0 }, { id: "b", start: false });
    const seen: string[] = [];
    const off = a.on("step", (e) => seen.push(`${e.task.id}:${e.step}`));
    let all = 0;
    const offAll = engine.on("step", () => all++);
    await Promise.all([a.start(), b.start()]);
    await Promise.all([a.result(), b.result()]);
    expect(seen).toEqual(["a:1", "a:2", "a:3", "a:4"]);
    expect(all).toBe(8);
    off();
    offAll();
    const c = await engine.create("chatty", { n: 0 }, { id: "c" });
    await c.result();
    expect(all).toBe(8);
    await engine.close();
  });

  it("a listener that throws is reported as an error event and does not stop the task", async () => {
    const engine = await createEngine({ driver: memoryDriver(), work: { chatty } });
    const errors: Error[] = [];
    engine.on("error", (e) => errors.push(e.error));
    engine.on("step", () => {
      throw new Error("listener bug");
    });
    const task = await engine.create("chatty", { n: 0 });
    expect(await task.result()).toBe("done at 3");
    expect(errors.length).toBe(4);
    expect(errors[0]!.message).toBe("listener bug");
    await engine.close();
  });

  it("on() refuses an unknown event type", async () => {
    const engine = await createEngine({ driver: memoryDriver(), work: { chatty } });
    // @ts-expect-error: not an event type
    expect(() => engine.on("finished", () => {})).toThrow(TypeError);
    await engine.close();
  });

  it("a second engine on the same store hears the first one's tasks", async () => {
    const driver = memoryDriver();
    const a = await createEngine({ driver, work: { chatty } });
    const b = await createEngine({ driver, work: { chatty } });
    const heard: string[] = [];
    b.on("progress", (e) => heard.push(`progress ${e.task.id} ${e.done}`));
    b.on("done", (e) => heard.push(`done ${e.task.id} ${e.result}`));
    const task = await a.create("chatty", { n: 2 }, { id: "x" });
    await task.result();
    await flush(20);
    expect(heard).toEqual(["progress x 2", "progress x 3", "done x done at 3"]);
    expect((await b.get("x"))?.status).toBe("done");
    await a.close();
    await b.close();
  });
});

describe("control from another engine", () => {
  it("pause() from a second engine aborts the step in flight in the first at once, and resume() from either goes on", async () => {
    const driver = memoryDriver();
    const aborted: string[] = [];
    let release: (() => void) | undefined;
    const slow: WorkFunction<{ n: number }, number> = async (s, ctx) => {
      if (s.n === 2 && !release) {
        await new Promise<void>((resolve) => {
          release = resolve;
          ctx.signal.addEventListener("abort", () => {
            aborted.push(ctx.taskId);
            resolve();
          });
        });
      }
      return s.n >= 4 ? ctx.done(s.n) : { n: s.n + 1 };
    };
    const a = await createEngine({ driver, work: { slow } });
    const b = await createEngine({ driver, work: { slow } });
    const task = await a.create("slow", { n: 0 }, { id: "x" });
    for (let i = 0; i < 100 && !release; i++) await flush(1);
    expect(release).toBeDefined();
    const remote = await b.get("x");
    await remote!.pause();
    expect(remote!.status).toBe("paused");
    for (let i = 0; i < 100 && task.status !== "paused"; i++) await flush(1);
    expect(aborted).toEqual(["x"]);
    expect(task.status).toBe("paused");
    expect(await driver.get("x")).toMatchObject({ status: "paused", state: { n: 2 } });
    await remote!.resume();
    expect(await remote!.result()).toBe(4);
    await a.close();
    await b.close();
  });
});

describe("tasks another engine creates", () => {
  it("are not started by an engine that only hears of them", async () => {
    const driver = memoryDriver();
    const calls: string[] = [];
    const note: WorkFunction<null, null> = (_s, ctx) => {
      calls.push(ctx.taskId);
      return ctx.done(null);
    };
    const a = await createEngine({ driver, work: { note } });
    const b = await createEngine({ driver, work: { note } });
    await a.create("note", null, { id: "later", start: false });
    await flush(20);
    expect(calls).toEqual([]);
    expect((await b.get("later"))?.status).toBe("pending");
    await a.close();
    await b.close();
  });
});
