import { createEngine } from "../src/mod.ts";
import { memoryDriver } from "../drivers/memory/mod.ts";

const engine = await createEngine({
  driver: memoryDriver(),
  work: {
    count: (state: { n: number }, ctx) => (state.n >= 1000 ? ctx.done(state.n) : { n: state.n + 1 }),
  },
});
const task = await engine.create("count", { n: 0 }, { id: "count-1" });
task.on("status", (e) => console.log("status", e.from, "→", e.to));
const n = await task.result();
console.log("result", n, "steps", task.step);
await engine.close();
