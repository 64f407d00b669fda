import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { expect, it } from "vitest";
import { createEngine, type WorkFunction } from "../../src/mod.ts";
import { memoryDriver } from "../../drivers/memory/mod.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

it("the engine does not keep finished tasks alive once nobody holds them", async () => {
  const done: WorkFunction<null, number> = (_s, ctx) => ctx.done(1);
  const engine = await createEngine({ driver: memoryDriver(), work: { done } });
  // In a function of its own, so that no suspended frame of this test holds the last task.
  const run = async () => {
    const refs: WeakRef<object>[] = [];
    for (let i = 0; i < 50; i++) {
      const task = await engine.create("done", null, { id: `t${i}` });
      task.on("done", () => {});
      await task.result();
      refs.push(new WeakRef(task));
    }
    return refs;
  };
  const refs = await run();
  await engine.idle();
  // deref() keeps its target alive until the current job ends, so each
  // collection runs in a job of its own, before any deref() in it.
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 10));
    gc();
    if (!refs.some((r) => r.deref())) break;
  }
  expect(refs.flatMap((r, i) => (r.deref() ? [i] : []))).toEqual([]);
  // Still reachable by id: read again from the store.
  expect(await (await engine.get("t3"))?.result()).toBe(1);
  await engine.close();
});
