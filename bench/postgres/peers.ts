/**
 * stater on Postgres against DBOS Transact on the same throwaway server:
 * a workflow of 1,000 steps, each step checkpointed, one at a time and 64
 * at once. DBOS checkpoints each step's output in its system database
 * (`DBOS.runStep`); stater commits each step's state (one task, one commit
 * per step; many tasks' commits grouped).
 *
 *   npx tsx bench/postgres/peers.ts [steps] [rounds]
 */

import process from "node:process";
import { DBOS } from "@dbos-inc/dbos-sdk";
import { engineRun, median, startCluster } from "./_setup.ts";

const STEPS = Number(process.argv[2] ?? 1000);
const ROUNDS = Number(process.argv[3] ?? 3);
const MANY = 64;

const cluster = await startCluster();
try {
  DBOS.setConfig({
    name: "stater-bench",
    systemDatabaseUrl: cluster.url.replace(/\/postgres$/, "/dbos_bench"),
    logLevel: "error",
  });
  const workflow = DBOS.registerWorkflow(async (steps: number) => {
    let n = 0;
    for (let i = 0; i < steps; i++) n = await DBOS.runStep(() => Promise.resolve(n + 1));
    return n;
  }, { name: "count" });
  await DBOS.launch();
  const dbos = async (at: number): Promise<number> => {
    const t0 = performance.now();
    const results = await Promise.all(Array.from({ length: at }, () => workflow(STEPS)));
    if (results.some((n) => n !== STEPS)) throw new Error("DBOS counted wrong");
    return performance.now() - t0;
  };
  await dbos(1);
  await engineRun(cluster, 1, 100);
  const ratios: Record<string, number[]> = { one: [], many: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [label, at] of [["one", 1], ["many", MANY]] as const) {
      const theirs = await dbos(at);
      const ours = await engineRun(cluster, at, STEPS);
      ratios[label]!.push(theirs / ours);
      const rate = (ms: number) => Math.round((at * STEPS * 1000) / ms);
      console.log(
        `round ${round + 1}, ${at} at once: DBOS ${rate(theirs)} steps/s, stater ${
          rate(ours)
        } steps/s`,
      );
    }
  }
  await DBOS.shutdown();
  console.log(`stater ÷ DBOS, 1 workflow of ${STEPS} steps:   ${median(ratios.one!).toFixed(2)}×`);
  console.log(
    `stater ÷ DBOS, ${MANY} workflows at once:       ${median(ratios.many!).toFixed(2)}×`,
  );
} finally {
  await cluster.stop();
}
