import { afterEach, expect, it } from "vitest";
import { createEngine, type Engine, TaskStateError, type WorkFunction } from "../../src/mod.ts";
import { indexedDBDriver } from "../../drivers/indexeddb/mod.ts";
import { databases, eventually } from "./_util.ts";

const { name, dropAll } = databases("shuffle");
afterEach(dropAll);

/** A small seeded generator (mulberry32), so a failing run can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

for (const seed of [1, 2, 3]) {
  it(
    `engines on one database pause, resume and close under each other's tasks at random (seed ${seed}), and every task finishes exactly`,
    async () => {
      const rand = random(seed);
      const db = name();
      const to = 60;
      const ids = ["a", "b", "c", "d", "e", "f"];
      const active = new Map<string, number>();
      const ran = new Map<string, number[]>();
      let overlap = "";
      const count: WorkFunction<{ n: number; sum: number }, number> = async (s, ctx) => {
        if (s.n >= to) return ctx.done(s.sum);
        const now = (active.get(ctx.taskId) ?? 0) + 1;
        active.set(ctx.taskId, now);
        if (now > 1) overlap ||= `${ctx.taskId} at step ${s.n}`;
        ran.set(ctx.taskId, [...(ran.get(ctx.taskId) ?? []), s.n]);
        try {
          await new Promise((resolve) => setTimeout(resolve, 2 + rand() * 8));
        } finally {
          active.set(ctx.taskId, active.get(ctx.taskId)! - 1);
        }
        ctx.progress(s.n + 1, to);
        return { n: s.n + 1, sum: s.sum + s.n };
      };
      const open = () =>
        createEngine({
          driver: indexedDBDriver({ name: db }),
          work: { count },
          closeTimeoutMs: 50,
        });
      const engines: Engine[] = [await open(), await open(), await open()];
      const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
      await Promise.all(ids.map((id) => pick(engines).create("count", { n: 0, sum: 0 }, { id })));
      const ops: string[] = [];
      const until = Date.now() + 1500;
      while (Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, rand() * 30));
        const roll = rand();
        if (roll < 0.08) {
          // A tab reloads: its engine closes, and a new one opens on the same database.
          const i = Math.floor(rand() * engines.length);
          ops.push(`reopen ${i}`);
          await engines[i]!.close();
          engines[i] = await open();
          continue;
        }
        const engine = pick(engines);
        const task = await engine.get(pick(ids));
        if (!task) continue;
        const op = roll < 0.45 ? "pause" : roll < 0.55 ? "pause-immediate" : "resume";
        ops.push(`${op} ${task.id}`);
        try {
          if (op === "pause") await task.pause();
          else if (op === "pause-immediate") await task.pause({ immediate: true });
          else await task.resume();
        } catch (error) {
          // It finished meanwhile: a finished task is neither paused nor resumed.
          if (!(error instanceof TaskStateError && task.status === "done")) throw error;
          ops.push(`(${task.id} was done)`);
        }
      }
      for (const id of ids) {
        const task = (await engines[0]!.get(id))!;
        if (task.status === "paused") await task.resume();
      }
      const results = await Promise.all(
        ids.map(async (id) => (await engines[0]!.get(id))!.result()),
      );
      expect(results, ops.join(", ")).toEqual(ids.map(() => (to * (to - 1)) / 2));
      expect(overlap, "no task was stepped by two engines at once").toBe("");
      for (const id of ids) {
        expect(new Set(ran.get(id)).size, `every step of ${id} ran`).toBe(to);
      }
      await eventually(
        async () => (await engines[1]!.list({ status: "done" })).length === ids.length,
        5000,
        "every engine to see them done",
      );
      for (const engine of engines) await engine.close();
    },
    30_000,
  );
}
