/**
 * The end-to-end test page: opens an engine on the IndexedDB driver (the
 * database named by `?db=`) as soon as it loads, so a reloaded page resumes
 * its tasks by itself. Every step posts `{ tab, id, n }` to `/log` before it
 * returns, so the test knows which steps ran where.
 */

import { createEngine, type Engine, type WorkFunction } from "../../src/mod.ts";
import { indexedDBDriver } from "../../drivers/indexeddb/mod.ts";

interface Count {
  n: number;
  to: number;
  sum: number;
  delayMs: number;
}

const params = new URLSearchParams(location.search);
const tab = params.get("tab") ?? "tab";

const count: WorkFunction<Count, number> = async (s, ctx) => {
  if (s.n >= s.to) return ctx.done(s.sum);
  await fetch("/log", { method: "POST", body: JSON.stringify({ tab, id: ctx.taskId, n: s.n }) });
  await new Promise((resolve) => setTimeout(resolve, s.delayMs));
  ctx.progress(s.n + 1, s.to);
  return { ...s, n: s.n + 1, sum: s.sum + s.n };
};

const ready: Promise<Engine> = createEngine({
  driver: indexedDBDriver({ name: params.get("db") ?? "e2e" }),
  work: { count },
  concurrency: Number(params.get("concurrency") ?? Infinity),
});

/** What the tests drive through `page.evaluate`. */
const app = {
  ready: () => ready.then(() => true),
  async create(ids: string[], to: number, delayMs: number): Promise<void> {
    const engine = await ready;
    await Promise.all(
      ids.map((id) => engine.create("count", { n: 0, to, sum: 0, delayMs }, { id })),
    );
  },
  async done(): Promise<[string, unknown][]> {
    const engine = await ready;
    return (await engine.list({ status: "done" })).map((t) => [t.id, t.result]);
  },
  /** Pauses, resumes or cancels task `id` from this tab, wherever it runs; returns its status after. */
  async control(id: string, op: "pause" | "resume" | "cancel"): Promise<string> {
    const engine = await ready;
    const task = await engine.get(id);
    if (!task) throw new Error(`no task ${id}`);
    await task[op]();
    return task.status;
  },
  async steps(): Promise<number> {
    const engine = await ready;
    return (await engine.list()).reduce((sum, t) => sum + t.step, 0);
  },
};

(globalThis as { app?: typeof app }).app = app;
