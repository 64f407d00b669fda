import { describe, expect, it } from "vitest";
import { DriverError } from "../../src/driver.ts";
import { applyLayout, CURRENT_LAYOUT, Names } from "../../drivers/postgres/_schema.ts";
import { MAX_KEY_CHARS } from "../../drivers/postgres/_record.ts";
import type { PgClient } from "../../drivers/postgres/mod.ts";
import { contextFor, useDatabase } from "./_db.ts";

const db = useDatabase();

const record = (id: string, rev = 1) => ({
  id,
  work: "w",
  status: "pending" as const,
  state: { n: 1 },
  step: 0,
  rev,
  createdAt: 1,
  updatedAt: 1,
});

async function openError(options = {}): Promise<DriverError> {
  try {
    await db.open("me", options);
  } catch (error) {
    expect(error).toBeInstanceOf(DriverError);
    return error as DriverError;
  }
  throw new Error("the driver opened");
}

describe("the postgres store's layout", () => {
  it("creates its schema, table, status index and leases view at first use, naming the layout", async () => {
    await db.open("me");
    const { rows } = await db.admin.query(
      "SELECT obj_description(to_regclass($1), 'pg_class') AS comment",
      [db.table],
    );
    expect(rows[0].comment).toBe(`stater task store, layout ${CURRENT_LAYOUT}`);
    const indexes = await db.admin.query(
      "SELECT indexdef FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname",
      [db.schema],
    );
    expect(indexes.rows.map((r) => r.indexdef).join("\n")).toContain("(status, work)");
    const view = await db.admin.query(`SELECT * FROM "${db.schema}".stater_tasks_leases`);
    expect(view.rows).toEqual([]);
  });

  it("stores a record as the codec's bytes beside the columns it is listed by", async () => {
    const driver = await db.open("me");
    await driver.commit([{ type: "put", record: record("a"), expectRev: 0 }]);
    const { rows } = await db.admin.query(
      `SELECT id, status, work, rev, written_by, convert_from(body, 'UTF8') AS body FROM ${db.table}`,
    );
    expect(rows).toEqual([{
      id: "a",
      status: "pending",
      work: "w",
      rev: "1",
      written_by: "me",
      body:
        '[{"id":"a","work":"w","status":"pending","step":0,"rev":1,"createdAt":1,"updatedAt":1},{"n":1}]',
    }]);
  });

  it("keys an id too long for the index by its digest, and reads it back whole", async () => {
    const driver = await db.open("me");
    const long = "x".repeat(MAX_KEY_CHARS * 20);
    await driver.commit([{ type: "put", record: record(long), expectRev: 0 }]);
    expect((await driver.get(long))?.id).toBe(long);
    expect(await driver.get(long.slice(1))).toBeUndefined();
    const { rows } = await db.admin.query(`SELECT length(id) AS n FROM ${db.table}`);
    expect(rows[0].n).toBeLessThan(200);
  });

  it("lists unfinished tasks through the status index", async () => {
    await db.open("me");
    await db.admin.query(`SET enable_seqscan = off`);
    const plan = await db.admin.query(
      `EXPLAIN SELECT id, body FROM ${db.table} WHERE status = ANY($1::text[])`,
      [["pending", "running"]],
    );
    await db.admin.query(`RESET enable_seqscan`);
    expect(plan.rows.map((r) => r["QUERY PLAN"]).join("\n")).toContain("stater_tasks_status");
  });

  it("brings a store of layout 1 to the current layout, keeping its records", async () => {
    const names = new Names(db.schema, "stater_tasks");
    const client = (await db.admin.connect()) as unknown as PgClient & { release(): void };
    try {
      await applyLayout(client, names, 0, 1);
    } finally {
      client.release();
    }
    await db.admin.query(
      `INSERT INTO ${db.table} (id, status, work, rev, created_at, body, written_by)
       VALUES ('kept', 'paused', 'w', 3, 1, convert_to($1, 'UTF8'), 'old')`,
      [JSON.stringify([{ ...record("kept", 3), status: "paused", state: undefined }, { n: 7 }])],
    );
    const driver = await db.open("me");
    expect((await driver.get("kept"))?.state).toEqual({ n: 7 });
    const { rows } = await db.admin.query(
      "SELECT obj_description(to_regclass($1), 'pg_class') AS comment",
      [db.table],
    );
    expect(rows[0].comment).toBe(`stater task store, layout ${CURRENT_LAYOUT}`);
    await db.admin.query(`SELECT * FROM "${db.schema}".stater_tasks_leases`);
  });

  it("refuses a store written by a newer stater, and leaves it untouched", async () => {
    await (await db.open("first")).close?.();
    await db.admin.query(`COMMENT ON TABLE ${db.table} IS 'stater task store, layout 99'`);
    const error = await openError();
    expect(error.code).toBe("STORE_TOO_NEW");
    expect(error.message).toContain("Upgrade stater");
    const { rows } = await db.admin.query(
      "SELECT obj_description(to_regclass($1), 'pg_class') AS comment",
      [db.table],
    );
    expect(rows[0].comment).toBe("stater task store, layout 99");
  });

  it("refuses a table of that name that is not a store", async () => {
    await db.admin.query(`CREATE SCHEMA "${db.schema}"`);
    await db.admin.query(`CREATE TABLE ${db.table} (x int)`);
    const error = await openError();
    expect(error.code).toBe("NOT_A_STORE");
  });

  it("lets two engines set up one new store at the same moment", async () => {
    const [a, b] = [db.driver(), db.driver()];
    await Promise.all([a.open!(contextFor("a")), b.open!(contextFor("b"))]);
    await a.commit([{ type: "put", record: record("x"), expectRev: 0 }]);
    expect((await b.get("x"))?.rev).toBe(1);
  });
});
