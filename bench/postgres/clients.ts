/**
 * The two clients the driver could stand on, `pg` (node-postgres) and
 * `postgres` (porsager), on the driver's commit path: one compare-and-set
 * `UPDATE` per transaction (what one task costs), and one statement that
 * updates 64 rows from arrays (what a group commit of 64 tasks costs). Same
 * server, same SQL, same durability; medians over the rounds.
 *
 *   npx tsx bench/postgres/clients.ts [rounds]
 */

import process from "node:process";
import pg from "pg";
import postgres from "postgres";
import { BODY, median, startCluster } from "./_setup.ts";

const ROUNDS = Number(process.argv[2] ?? 5);
const SINGLE = 1000;
const BATCHES = 100;
const TASKS = 64;

const cluster = await startCluster();
const pool = new pg.Pool({ connectionString: cluster.url, max: 2 });
const sql = postgres(cluster.url, { max: 2, onnotice: () => {} });
try {
  for (const table of ["one", "many"]) {
    await pool.query(
      `CREATE TABLE ${table} (id text PRIMARY KEY, rev bigint NOT NULL, body bytea)`,
    );
    await pool.query(
      `INSERT INTO ${table} SELECT 'k' || g, 0, $1 FROM generate_series(0, $2::int - 1) AS g`,
      [BODY, table === "one" ? 1 : TASKS],
    );
  }
  const ids = Array.from({ length: TASKS }, (_, i) => `k${i}`);
  const single = "UPDATE one SET rev = $1, body = $2 WHERE id = 'k0' AND rev = $3";
  const batch =
    "UPDATE many AS t SET rev = u.rev, body = u.body FROM unnest($1::text[], $2::bigint[], " +
    "$3::bytea[]) AS u(id, rev, body) WHERE t.id = u.id AND t.rev = u.rev - 1";
  const rev = async (table: string) =>
    Number((await pool.query(`SELECT rev FROM ${table} WHERE id = 'k0'`)).rows[0].rev);
  const clients = {
    pg: {
      one: (r: number) => pool.query(single, [r + 1, BODY, r]).then((x) => x.rowCount),
      many: (r: number) =>
        pool.query(batch, [ids, ids.map(() => r + 1), ids.map(() => BODY)]).then((x) => x.rowCount),
    },
    postgres: {
      one: (r: number) => sql.unsafe(single, [r + 1, BODY as never, r]).then((x) => x.count),
      many: (r: number) =>
        sql.unsafe(batch, [ids, ids.map(() => r + 1), sql.array(ids.map(() => BODY), 17)] as never)
          .then((x) => x.count),
    },
  };
  const rates: Record<string, number[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, client] of Object.entries(clients)) {
      let r = await rev("one");
      let t0 = performance.now();
      for (let n = 0; n < SINGLE; n++) if ((await client.one(r++)) !== 1) throw new Error(name);
      (rates[`${name} one`] ??= []).push((SINGLE * 1000) / (performance.now() - t0));
      r = await rev("many");
      t0 = performance.now();
      for (let n = 0; n < BATCHES; n++) {
        if ((await client.many(r++)) !== TASKS) throw new Error(`${name} batch`);
      }
      (rates[`${name} many`] ??= []).push((BATCHES * TASKS * 1000) / (performance.now() - t0));
    }
  }
  for (const [label, values] of Object.entries(rates)) {
    console.log(`${label.padEnd(14)} ${Math.round(median(values))} rows/s (median)`);
  }
  console.log(
    `postgres ÷ pg: one ${
      (median(rates["postgres one"]!) / median(rates["pg one"]!)).toFixed(2)
    }×, ` +
      `64 at once ${(median(rates["postgres many"]!) / median(rates["pg many"]!)).toFixed(2)}×`,
  );
} finally {
  await sql.end();
  await pool.end();
  await cluster.stop();
}
