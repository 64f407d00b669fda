/**
 * The engine's own cost per step on the memory driver, next to a bare async
 * loop doing the same state updates, in the same run.
 *
 *   npx tsx bench/engine.ts [steps]
 */
import { createEngine } from "../src/mod.ts";
import { memoryDriver } from "../drivers/memory/mod.ts";

const STEPS = Number(process.argv[2] ?? 200_000);
type S = { n: number; sum: number };
const work = (s: S) => ({ n: s.n + 1, sum: s.sum + s.n });

async function bare(): Promise<number> {
  const t0 = performance.now();
  let state: S = { n: 0, sum: 0 };
  let last: S = state;
  while (state.n < STEPS) {
    state = await work(state);
    last = state;
  }
  if (last.n !== STEPS) throw new Error("bare loop miscounted");
  return performance.now() - t0;
}

async function engine(): Promise<number> {
  const e = await createEngine({
    driver: memoryDriver(),
    work: { sum: (s: S, ctx) => (s.n >= STEPS ? ctx.done(s.sum) : work(s)) },
  });
  const t0 = performance.now();
  const task = await e.create("sum", { n: 0, sum: 0 });
  await task.result();
  const ms = performance.now() - t0;
  if (task.step !== STEPS + 1) throw new Error(`engine ran ${task.step} steps`);
  await e.close();
  return ms;
}

// Warm up both, then take the best of five of each, interleaved.
await bare();
await engine();
const bareRuns: number[] = [];
const engineRuns: number[] = [];
for (let i = 0; i < 5; i++) {
  bareRuns.push(await bare());
  engineRuns.push(await engine());
}
const b = Math.min(...bareRuns);
const en = Math.min(...engineRuns);
const perBare = (b * 1000) / STEPS;
const perEngine = (en * 1000) / STEPS;
console.log(`steps per run:            ${STEPS}`);
console.log(`bare loop (await)       : ${perBare.toFixed(3)} µs/step`);
console.log(`engine, memory driver:    ${perEngine.toFixed(3)} µs/step`);
console.log(`engine overhead:          ${(perEngine - perBare).toFixed(3)} µs/step (goal ≤ 2)`);
console.log(`ratio engine / bare:      ${(perEngine / perBare).toFixed(2)}×`);
