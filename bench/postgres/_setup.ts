/**
 * What the postgres benchmarks share: a throwaway cluster (`fsync` and
 * `synchronous_commit` on, as in the tests), a fresh schema per run, a
 * small record body, an engine run, and medians.
 */

import pg from "pg";
import { createEngine, type WorkFunction } from "../../src/mod.ts";
import { postgresDriver } from "../../drivers/postgres/mod.ts";
import { type Cluster, startCluster } from "../../test/postgres/_cluster.ts";
import { dropSchema, freshSchema } from "../../test/postgres/_subject.ts";

export type { Cluster };
export { startCluster };

/** Runs `fn` with a fresh schema on `cluster`, dropped afterwards. */
export async function withSchema<T>(
  cluster: Cluster,
  fn: (schema: string) => Promise<T>,
): Promise<T> {
  const schema = freshSchema();
  const admin = new pg.Pool({ connectionString: cluster.url, max: 1 });
  try {
    await admin.query(`CREATE SCHEMA "${schema}"`);
    return await fn(schema);
  } finally {
    await dropSchema(admin, schema);
    await admin.end();
  }
}

/** A record body about the size of a small task's. */
export const BODY = new TextEncoder().encode(
  JSON.stringify([{
    id: "t",
    work: "count",
    status: "running",
    step: 1,
    rev: 1,
    createdAt: 1,
    updatedAt: 1,
  }, { n: 1, to: 1000 }]),
);

/** The median of `values`. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const count: WorkFunction<{ n: number; to: number }, number> = (s, ctx) =>
  s.n >= s.to ? ctx.done(s.n) : { n: s.n + 1, to: s.to };

/** `tasks` tasks of `steps` steps each through one engine; the ms it took. */
export function engineRun(cluster: Cluster, tasks: number, steps: number): Promise<number> {
  return withSchema(cluster, async (schema) => {
    const engine = await createEngine({
      driver: postgresDriver({ url: cluster.url, schema }),
      work: { count },
    });
    const t0 = performance.now();
    const all = await Promise.all(
      Array.from(
        { length: tasks },
        (_, i) => engine.create("count", { n: 0, to: steps - 1 }, { id: `t${i}` }),
      ),
    );
    await Promise.all(all.map((task) => task.result()));
    const ms = performance.now() - t0;
    await engine.close();
    return ms;
  });
}
