// Defect 13 on Deno: console.log(task) shows Task { id, work, status, step, progress, state, result }.
import { createEngine } from "../../src/mod.ts";
import { memoryDriver } from "../../drivers/memory/mod.ts";

Deno.test("defect 13: a task inspects as Task { … } on Deno, without the engine's internals", async () => {
  const engine = await createEngine({
    driver: memoryDriver(),
    work: { w: (s: { n: number }, ctx) => ctx.done(s.n * 2) },
  });
  const task = await engine.create("w", { n: 4 }, { id: "x" });
  await task.result();
  const text = Deno.inspect(task);
  const want = 'Task {\n  id: "x",\n  work: "w",\n  status: "done",\n  step: 1,\n' +
    "  progress: undefined,\n  state: { n: 4 },\n  result: 8\n}";
  if (text !== want) throw new Error(`inspected as:\n${text}`);
  await engine.close();
});
