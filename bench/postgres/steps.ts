/**
 * The postgres driver against the raw primitive it is built on, on the
 * same throwaway server in the same run: one task's steps against a loop of
 * one compare-and-set `UPDATE` per transaction (with `pg`), and 64 tasks at
 * once (group commit) against the same loop.
 *
 * The machine is shared and its disk's fsync rate varies several-fold from
 * one second to the next, so the two are measured in short blocks, one
 * after the other: a block of the raw loop, then a block of the engine (its
 * tasks wait at a gate between blocks, inside a step, so nothing else runs
 * meanwhile), and so on. The figures are the medians of the ratios of
 * neighbouring blocks.
 *
 *   npx tsx bench/postgres/steps.ts [blocks] [steps per block]
 */

import pg from "pg";
import process from "node:process";
import { createEngine, type WorkFunction } from "../../src/mod.ts";
import { postgresDriver } from "../../drivers/postgres/mod.ts";
import { BODY, type Cluster, median, startCluster, withSchema } from "./_setup.ts";

const BLOCKS = Number(process.argv[2] ?? 15);
const STEPS = Number(process.argv[3] ?? 200);
const TASKS = 64;

/** A raw loop that goes on where it left off: `run(n)` does n updates, resolves with ms. */
async function rawLoop(cluster: Cluster, schema: string) {
  const pool = new pg.Pool({ connectionString: cluster.url, max: 1 });
  const table = `"${schema}".raw`;
  await pool.query(`CREATE TABLE ${table} (id text PRIMARY KEY, rev bigint NOT NULL, body bytea)`);
  await pool.query(`INSERT INTO ${table} VALUES ('k', 0, $1)`, [BODY]);
  let rev = 0;
  return {
    async run(steps: number): Promise<number> {
      const t0 = performance.now();
      for (let n = 0; n < steps; n++, rev++) {
        const result = await pool.query(
          `UPDATE ${table} SET rev = $1, body = $2 WHERE id = 'k' AND rev = $3`,
          [rev + 1, BODY, rev],
        );
        if (result.rowCount !== 1) throw new Error("the raw loop lost its compare-and-set");
      }
      return performance.now() - t0;
    },
    end: () => pool.end(),
  };
}

/** `tasks` tasks that stop at a gate every `every` steps; `run()` lets them do one block. */
async function gatedEngine(cluster: Cluster, schema: string, tasks: number, every: number) {
  let waiting = 0;
  let open: () => void = () => {};
  let gate = new Promise<void>((resolve) => (open = resolve));
  const count: WorkFunction<{ n: number }, number> = async (s) => {
    if (s.n % every === 0) {
      waiting++;
      await gate;
    }
    return { n: s.n + 1 };
  };
  const engine = await createEngine({
    driver: postgresDriver({ url: cluster.url, schema }),
    work: { count },
  });
  for (let i = 0; i < tasks; i++) await engine.create("count", { n: 0 }, { id: `t${i}` });
  const allWaiting = async () => {
    while (waiting < tasks) await new Promise((resolve) => setTimeout(resolve, 1));
  };
  await allWaiting();
  return {
    /** Opens the gate; resolves with the ms until every task waits at the next one. */
    async run(): Promise<number> {
      waiting = 0;
      const release = open;
      gate = new Promise<void>((resolve) => (open = resolve));
      const t0 = performance.now();
      release();
      await allWaiting();
      return performance.now() - t0;
    },
    async end() {
      open();
      await engine.close();
    },
  };
}

const cluster = await startCluster();
try {
  await withSchema(cluster, async (schema) => {
    const raw = await rawLoop(cluster, schema);
    const one = await gatedEngine(cluster, schema, 1, STEPS);
    await raw.run(STEPS);
    await one.run();
    const ones: number[] = [];
    const rates: number[] = [];
    for (let block = 0; block < BLOCKS; block++) {
      const rawMs = await raw.run(STEPS);
      const oneMs = await one.run();
      ones.push(rawMs / oneMs);
      rates.push((STEPS * 1000) / rawMs);
    }
    await one.end();
    const group = await gatedEngine(cluster, schema, TASKS, Math.max(1, STEPS / 8));
    await group.run();
    const groups: number[] = [];
    for (let block = 0; block < BLOCKS; block++) {
      const rawMs = await raw.run(STEPS);
      const groupMs = await group.run();
      groups.push(((TASKS * STEPS) / 8 / groupMs) / (STEPS / rawMs));
    }
    await group.end();
    await raw.end();
    console.log(`raw UPDATE per transaction (pg): ${Math.round(median(rates))} steps/s (median)`);
    console.log(`one task ÷ raw:  ${median(ones).toFixed(2)}× (median of ${BLOCKS} block pairs)`);
    console.log(`${TASKS} tasks ÷ raw: ${median(groups).toFixed(2)}× (median of ${BLOCKS} pairs)`);
  });
} finally {
  await cluster.stop();
}
