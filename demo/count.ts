/**
 * The counting demo: a job that counts to 300, one step every 10 ms, committed
 * to `.stater/demo` after every step. Stop it at any moment (Ctrl-C, or
 * kill -9) and run it again: it carries on from the last committed step.
 *
 *   npm run demo:count
 */
import { createEngine } from "../src/mod.ts";
import { fsDriver } from "../drivers/fs/mod.ts";

const dir = process.env.STATER_DEMO_DIR ?? ".stater/demo";
const TARGET = Number(process.env.STATER_DEMO_TARGET ?? 300);

const engine = await createEngine({
  driver: fsDriver({ dir }),
  work: {
    count: async (state: { n: number; to: number }, ctx) => {
      await new Promise((resolve) => setTimeout(resolve, 10)); // the "work" of one step
      ctx.progress(state.n, state.to);
      return state.n >= state.to
        ? ctx.done({ counted: state.n })
        : { n: state.n + 1, to: state.to };
    },
  },
});

const task = await engine.create("count", { n: 0, to: TARGET }, { id: "count-1" });
if (task.step > 0 && task.status !== "done") console.log(`resuming count-1 at step ${task.step}`);
task.on("progress", (e) => {
  if (e.done % 50 === 0) console.log(`count-1: ${e.done}/${e.total}`);
});

const result = await task.result();
console.log(
  `count-1 done: ${JSON.stringify(result)} in ${task.step} committed steps (store: ${dir})`,
);
// Start over on the next run.
await task.remove();
await engine.close();
