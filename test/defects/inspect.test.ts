/** Defect 13: console.log(task) shows what a user needs, not the engine's internals. */
import { inspect } from "node:util";
import { expect, it } from "vitest";
import { createEngine, type WorkFunction } from "../../src/mod.ts";
import { memoryDriver } from "../../drivers/memory/mod.ts";

it("defect 13: a task inspects as Task { id, work, status, step, progress, state, result }", async () => {
  const count: WorkFunction<{ n: number }, number> = (s, ctx) => {
    ctx.progress(s.n, 2);
    return s.n >= 2 ? ctx.done(s.n * 10) : { n: s.n + 1 };
  };
  const engine = await createEngine({ driver: memoryDriver(), work: { count } });
  const task = await engine.create("count", { n: 0 }, { id: "count-1" });
  await task.result();
  const text = inspect(task);
  expect(text).toBe(
    "Task {\n  id: 'count-1',\n  work: 'count',\n  status: 'done',\n  step: 3,\n" +
      "  progress: { done: 2, total: 2 },\n  state: { n: 2 },\n  result: 20\n}",
  );
  expect(text).not.toMatch(/phase|rerun|created|#/);
  await engine.close();
});
