import { describe, expect, it } from "vitest";
import { createEngine, type Engine, type WorkFunction } from "../../src/mod.ts";
import { fill } from "../../src/_balance.ts";
import { memoryDriver } from "../../drivers/memory/mod.ts";
import { flush, until } from "./_helpers.ts";

interface Step {
  engine: string;
  task: string;
  n: number;
  start: number;
  end: number;
}

/** Engines on one memory store; every step logs who ran it, and when. */
function cluster(steps: number, stepMs: number) {
  const driver = memoryDriver();
  const log: Step[] = [];
  const engines: Engine[] = [];
  const workFor = (engine: string): WorkFunction<{ n: number }, number> => async (s, ctx) => {
    const start = Date.now();
    await new Promise((resolve) => setTimeout(resolve, stepMs));
    log.push({ engine, task: ctx.taskId, n: s.n, start, end: Date.now() });
    return s.n + 1 >= steps ? ctx.done(s.n + 1) : { n: s.n + 1 };
  };
  const open = async (name: string, options: { share?: number; concurrency?: number } = {}) => {
    const engine = await createEngine({
      driver,
      work: { job: workFor(name) },
      owner: name,
      ...options,
    });
    engines.push(engine);
    return engine;
  };
  /** How many distinct tasks each engine stepped between `from` and `to`. */
  const tasksBy = (from: number, to: number) => {
    const by = new Map<string, Set<string>>();
    for (const step of log) {
      if (step.start < from || step.end > to) continue;
      if (!by.has(step.engine)) by.set(step.engine, new Set());
      by.get(step.engine)!.add(step.task);
    }
    return Object.fromEntries([...by].map(([engine, tasks]) => [engine, tasks.size]));
  };
  /** Steps of one task that ran at the same time, and steps that ran twice. */
  const faults = () => {
    const found: string[] = [];
    const byTask = new Map<string, Step[]>();
    for (const step of log) byTask.set(step.task, [...(byTask.get(step.task) ?? []), step]);
    for (const [task, list] of byTask) {
      const sorted = [...list].sort((a, b) => a.start - b.start);
      for (let i = 1; i < sorted.length; i++) {
        if (sorted[i]!.start < sorted[i - 1]!.end) {
          found.push(`${task} overlaps at ${sorted[i]!.n}`);
        }
      }
      const ns = list.map((step) => step.n).sort((a, b) => a - b);
      if (ns.length !== steps || ns.some((n, i) => n !== i)) {
        found.push(`${task} ran ${ns.length} steps`);
      }
    }
    return found;
  };
  /** Waits (up to `ms`) until the last half second's tasks per engine pass `fair`; returns them. */
  const settle = async (fair: (by: Record<string, number>) => boolean, ms = 15_000) => {
    let by: Record<string, number> = {};
    const end = Date.now() + ms;
    while (Date.now() < end) {
      await flush(250);
      by = tasksBy(Date.now() - 500, Date.now());
      if (fair(by)) return by;
    }
    throw new Error(`never fair: ${JSON.stringify(by)}`);
  };
  return { driver, log, engines, open, tasksBy, faults, settle };
}

/** Whether `by` has each of `names` between `low` and `high` tasks. */
const within = (by: Record<string, number>, names: string[], low: number, high: number) =>
  names.every((name) => (by[name] ?? 0) >= low && (by[name] ?? 0) <= high);

describe("engines on one store share its tasks", () => {
  it("four engines started apart each run about a quarter, and every step runs once", async () => {
    const c = cluster(800, 10);
    const first = await c.open("a");
    const tasks = await Promise.all(
      Array.from({ length: 40 }, (_, i) => first.create("job", { n: 0 }, { id: `t${i}` })),
    );
    for (const name of ["b", "c", "d"]) {
      await flush(400);
      await c.open(name);
    }
    const up = Date.now();
    // ±30% of a quarter, within a few seconds of the last engine's start.
    await c.settle((by) => within(by, ["a", "b", "c", "d"], 7, 13));
    expect(Date.now() - up).toBeLessThan(10_000);
    for (const engine of c.engines.slice(1)) {
      await until(
        async () => (await engine.list({ status: "done" })).length === 40,
        60_000,
        "all done",
      );
    }
    expect(await Promise.all(tasks.map((task) => task.result()))).toEqual(tasks.map(() => 800));
    expect(c.faults()).toEqual([]);
    for (const engine of c.engines) await engine.close();
  }, 90_000);

  it("an engine with share 2 runs twice as many as one with share 1", async () => {
    const c = cluster(600, 10);
    const a = await c.open("a");
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => a.create("job", { n: 0 }, { id: `t${i}` })),
    );
    await c.open("b", { share: 2 });
    await c.settle((by) => within(by, ["a"], 7, 13) && within(by, ["b"], 17, 23));
    await until(async () => (await a.list({ status: "done" })).length === 30, 60_000, "all done");
    expect(c.faults()).toEqual([]);
    for (const engine of c.engines) await engine.close();
  }, 90_000);

  it(
    "an engine with share 0 hands its tasks to the others, and runs them itself when alone",
    async () => {
      const c = cluster(600, 10);
      const producer = await c.open("producer", { share: 0 });
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => producer.create("job", { n: 0 }, { id: `t${i}` })),
      );
      await flush(300);
      expect(c.tasksBy(0, Date.now()).producer).toBe(10);
      await c.open("worker");
      await c.settle((by) => JSON.stringify(by) === JSON.stringify({ worker: 10 }));
      await until(
        async () => (await producer.list({ status: "done" })).length === 10,
        60_000,
        "done",
      );
      expect(c.faults()).toEqual([]);
      for (const engine of c.engines) await engine.close();
    },
    60_000,
  );

  it("a lone engine sets no timer for sharing", async () => {
    const c = cluster(3, 1);
    const a = await c.open("a");
    const task = await a.create("job", { n: 0 });
    expect(await task.result()).toBe(3);
    await a.close();
  });
});

describe("fill()", () => {
  it("shares in proportion to the weights, none above its slots", () => {
    expect(fill(40, [1, 1, 1, 1], [Infinity, Infinity, Infinity, Infinity])).toEqual([
      10,
      10,
      10,
      10,
    ]);
    expect(fill(30, [1, 2], [Infinity, Infinity])).toEqual([10, 20]);
    expect(fill(40, [1, 1, 1], [5, Infinity, Infinity])).toEqual([5, 17.5, 17.5]);
    expect(fill(10, [0, 1], [Infinity, Infinity])).toEqual([0, 10]);
    expect(fill(10, [1, 1], [2, 3])).toEqual([2, 3]);
  });
});
