/**
 * The postgres driver against the raw primitive it is built on, on the
 * same throwaway server in the same run: one task's steps against a loop of
 * one compare-and-set `UPDATE` per transaction, and 64 tasks at once (group
 * commit) against the same loop. Each round runs the loop and the engine
 * back to back; the ratios are the medians over the rounds, because the
 * machine is shared and its disk's fsync rate varies from second to second.
 *
 *   npx tsx bench/postgres/steps.ts [rounds] [steps]
 *   deno run -A bench/postgres/steps.ts [rounds] [steps]
 */

import { engineRun, median, rate, rawLoop, startCluster } from "./_setup.ts";

const args: string[] = (globalThis as { Deno?: { args: string[] } }).Deno?.args ??
  (await import("node:process")).argv.slice(2);
const ROUNDS = Number(args[0] ?? 5);
const STEPS = Number(args[1] ?? 1000);
const TASKS = 64;

{
  const cluster = await startCluster();
  try {
    await rawLoop(cluster, 200);
    await engineRun(cluster, 1, 200);
    const one: number[] = [];
    const many: number[] = [];
    const raws: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const raw = rate(STEPS, await rawLoop(cluster, STEPS));
      const single = rate(STEPS, await engineRun(cluster, 1, STEPS));
      const group = rate(TASKS * STEPS / 4, await engineRun(cluster, TASKS, STEPS / 4));
      raws.push(raw);
      one.push(single / raw);
      many.push(group / raw);
      console.log(
        `round ${round + 1}: raw ${raw}/s, one task ${single}/s, ${TASKS} tasks ${group}/s`,
      );
    }
    console.log(`raw UPDATE per transaction (pg):   ${median(raws)} steps/s (median)`);
    console.log(
      `one task ÷ raw:                     ${median(one).toFixed(2)}× (median of rounds)`,
    );
    console.log(
      `${TASKS} tasks ÷ raw:                    ${median(many).toFixed(2)}× (median of rounds)`,
    );
  } finally {
    await cluster.stop();
  }
}
