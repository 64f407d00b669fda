import { expect, it } from "vitest";
import { createEngine, type WorkFunction } from "../../src/mod.ts";
import { useDatabase } from "./_db.ts";

const db = useDatabase();
const count: WorkFunction<{ n: number }, number> = (s, ctx) =>
  s.n >= 3 ? ctx.done(s.n) : { n: s.n + 1 };

async function openingMs(): Promise<number> {
  const t0 = performance.now();
  const engine = await createEngine({ driver: db.driver(), work: { count } });
  const ms = performance.now() - t0;
  await engine.close();
  return ms;
}

it("opening a store with a million finished tasks costs about what an empty one does", async () => {
  // An empty store, opened once to create it, then timed.
  await openingMs();
  const empty = Math.min(await openingMs(), await openingMs(), await openingMs());
  await db.admin.query(
    `INSERT INTO ${db.table} (id, status, work, rev, created_at, body, written_by)
     SELECT 'done-' || g, 'done', 'count', 5, g,
       convert_to('[{"id":"done-' || g || '","work":"count","status":"done","step":4,"rev":5,' ||
         '"createdAt":' || g || ',"updatedAt":' || g || '},{"n":3},3]', 'UTF8'), 'old'
     FROM generate_series(1, 1000000) AS g`,
  );
  const engine = await createEngine({ driver: db.driver(), work: { count } });
  const task = await engine.create("count", { n: 0 }, { id: "new" });
  expect(await task.result()).toBe(3);
  await engine.close();
  const full = Math.min(await openingMs(), await openingMs(), await openingMs());
  // Generous: the machine is shared. Reading a million records would take many seconds.
  expect(full).toBeLessThan(empty * 5 + 500);
  const { rows } = await db.admin.query(`SELECT count(*)::int AS n FROM ${db.table}`);
  expect(rows[0].n).toBe(1_000_001);
}, 300_000);
