/** Defect 7: engines that only hear of other engines' tasks keep none of them. */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { createEngine, type Engine, type WorkFunction, type WorkMap } from "../../src/mod.ts";
import { memoryDriver } from "../../drivers/memory/mod.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const COUNT = 2000;
const quick: WorkFunction<{ n: number }, number> = (s, ctx) =>
  s.n >= 2 ? ctx.done(s.n) : { n: s.n + 1 };

async function collected(refs: WeakRef<object>[]): Promise<number> {
  for (let i = 0; i < 8; i++) {
    // deref() keeps its target alive until the job ends: collect in a job of its own.
    await new Promise((r) => setTimeout(r, 10));
    gc();
    if (!refs.some((r) => r.deref())) break;
  }
  return refs.filter((r) => r.deref() === undefined).length;
}

async function hearAll(listening: (driver: ReturnType<typeof memoryDriver>) => Promise<Engine>) {
  const driver = memoryDriver();
  const runner = await createEngine({ driver, work: { quick } });
  const listener = await listening(driver);
  const refs: WeakRef<object>[] = [];
  let heard = 0;
  listener.on("done", (e) => {
    heard++;
    refs.push(new WeakRef(e.task));
  });
  // In a function of its own, so that no suspended frame holds a task.
  await (async () => {
    const tasks = [];
    for (let i = 0; i < COUNT; i++) tasks.push(runner.create("quick", { n: 0 }, { id: `t${i}` }));
    await Promise.all((await Promise.all(tasks)).map((t) => t.result()));
  })();
  await runner.idle();
  for (let i = 0; i < 200 && heard < COUNT; i++) await new Promise((r) => setTimeout(r, 5));
  expect(heard).toBe(COUNT);
  await listener.idle();
  const gone = await collected(refs);
  await runner.close();
  await listener.close();
  return gone;
}

describe("defect 7: an engine that hears of other engines' tasks", () => {
  it("with autoResume: false keeps none of them once they finish", async () => {
    const gone = await hearAll((driver) =>
      createEngine({ driver, work: { quick } as WorkMap, autoResume: false })
    );
    expect(gone).toBe(COUNT);
  });

  it("without their work function keeps none of them", async () => {
    const gone = await hearAll((driver) => createEngine({ driver, work: {} as WorkMap }));
    expect(gone).toBe(COUNT);
  });

  it("standing by to take them over lets go of them once they finish", async () => {
    const gone = await hearAll((driver) => createEngine({ driver, work: { quick } }));
    expect(gone).toBe(COUNT);
  });
});

describe("an engine that let go of another engine's task", () => {
  it("still raises its status and its done or failed when it hears the task finish", async () => {
    const gates = new Map<string, () => void>();
    const held: WorkFunction<{ n: number }, number> = (s, ctx) =>
      s.n === 0 ? { n: 1 } : new Promise((resolve) => {
        gates.set(ctx.taskId, () => resolve(s.n === 1 ? ctx.done(7) : s));
      });
    const broken: WorkFunction<{ n: number }, number> = (s) => {
      if (s.n === 0) return { n: 1 };
      throw Object.assign(new Error("cannot"), { retryable: false });
    };
    const driver = memoryDriver();
    const runner = await createEngine({ driver, work: { held, broken } });
    const listener = await createEngine({ driver, work: {} as WorkMap, autoResume: false });
    const heard: string[] = [];
    listener.on("status", (e) => heard.push(`${e.task.id} ${e.from}→${e.to}`));
    listener.on("done", (e) => heard.push(`${e.task.id} done ${e.result}`));
    listener.on("failed", (e) => heard.push(`${e.task.id} failed ${e.error.message}`));
    const refs: WeakRef<object>[] = [];
    listener.on("step", (e) => refs.push(new WeakRef(e.task)));
    await runner.create("held", { n: 0 }, { id: "a" });
    for (let i = 0; i < 200 && !gates.has("a"); i++) await new Promise((r) => setTimeout(r, 5));
    // The listener held its Task only weakly, and nothing else holds it: it is collected.
    expect(await collected(refs)).toBe(refs.length);
    gates.get("a")!();
    await runner.create("broken", { n: 0 }, { id: "b" });
    await runner.idle();
    const finished = () => heard.filter((line) => !line.endsWith("→running"));
    for (let i = 0; i < 200 && finished().length < 4; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    // Whether "pending→running" was heard depends on when the task was collected.
    expect(finished()).toEqual([
      "a running→done",
      "a done 7",
      "b running→failed",
      "b failed cannot",
    ]);
    await runner.close();
    await listener.close();
  });
});
