/**
 * Workers sharing one store: the same 64 tasks, whose steps wait on I/O
 * (a 5 ms sleep), run by 1 worker and by 4, each worker an engine with its
 * own driver (its own pool and listening connection) and `concurrency: 16`,
 * as a worker's capacity would be. The tasks are created first, pending,
 * then the workers open together and share them out by racing for the
 * leases (the core does not yet balance them itself).
 *
 *   npx tsx bench/postgres/workers.ts [steps per task] [rounds]
 */

import process from "node:process";
import { createEngine, type WorkFunction } from "../../src/mod.ts";
import { postgresDriver } from "../../drivers/postgres/mod.ts";
import { type Cluster, median, startCluster, withSchema } from "./_setup.ts";

const STEPS = Number(process.argv[2] ?? 200);
const ROUNDS = Number(process.argv[3] ?? 3);
const TASKS = 64;

/** The work, counting the steps each worker runs in `calls[worker]`. */
function sleepyFor(calls: number[], worker: number): WorkFunction<{ n: number }, number> {
  return async (s, ctx) => {
    calls[worker] = (calls[worker] ?? 0) + 1;
    await new Promise((resolve) => setTimeout(resolve, 5));
    return s.n >= STEPS - 1 ? ctx.done(s.n) : { n: s.n + 1 };
  };
}

/** The ms `workers` workers take to finish the 64 tasks, and how many steps each ran. */
function run(cluster: Cluster, workers: number): Promise<{ ms: number; shares: number[] }> {
  return withSchema(cluster, async (schema) => {
    const driver = () =>
      postgresDriver({ url: cluster.url, schema, pollMs: Number(process.env.POLL ?? 250) });
    const shares = Array.from({ length: workers }, () => 0);
    const producer = await createEngine({ driver: driver(), work: { sleepy: sleepyFor([], 0) } });
    for (let i = 0; i < TASKS; i++) {
      await producer.create("sleepy", { n: 0 }, { id: `t${i}`, start: false });
    }
    await producer.close();
    const t0 = performance.now();
    const engines = await Promise.all(
      Array.from(
        { length: workers },
        (_, i) =>
          createEngine({
            driver: driver(),
            work: { sleepy: sleepyFor(shares, i) },
            concurrency: 16,
            owner: `w${i}`,
          }),
      ),
    );
    const watcher = engines[0]!;
    while ((await watcher.list({ status: "done" })).length < TASKS) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const ms = performance.now() - t0;
    await Promise.all(engines.map((engine) => engine.close()));
    return { ms, shares };
  });
}

const cluster = await startCluster();
try {
  await run(cluster, 1);
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const one = await run(cluster, 1);
    const four = await run(cluster, 4);
    ratios.push(one.ms / four.ms);
    const rate = (ms: number) => Math.round((TASKS * STEPS * 1000) / ms);
    console.log(
      `round ${round + 1}: 1 worker ${rate(one.ms)} steps/s, 4 workers ${rate(four.ms)} steps/s ` +
        `(steps run by each: ${four.shares.join(", ")})`,
    );
  }
  console.log(
    `4 workers ÷ 1 worker, ${TASKS} tasks, 5 ms I/O steps: ${median(ratios).toFixed(2)}×`,
  );
} finally {
  await cluster.stop();
}
