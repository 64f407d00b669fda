import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { postgresDriver } from "../../drivers/postgres/mod.ts";
import { url } from "./_db.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

describe("postgresDriver() options", () => {
  it("refuses wrong options with a TypeError or RangeError that says what to pass", () => {
    expect(() => postgresDriver({ url: "" })).toThrow(TypeError);
    expect(() => postgresDriver({ url: "postgres://x", pool: new pg.Pool() })).toThrow(
      "url or pool (sql), not both",
    );
    expect(() => postgresDriver({ sql: new pg.Pool(), pool: new pg.Pool() })).toThrow(
      "sql or pool (the same thing), not both",
    );
    expect(() => postgresDriver({ pool: {} as never })).toThrow("pg.Pool");
    expect(() => postgresDriver({ schema: "" })).toThrow(TypeError);
    expect(() => postgresDriver({ table: "t".repeat(60) })).toThrow(RangeError);
    expect(() => postgresDriver({ leaseMs: -1 })).toThrow(RangeError);
    expect(() => postgresDriver({ leaseMs: "1" as never })).toThrow(TypeError);
    expect(() => postgresDriver({ leaseMs: 1000, renewEveryMs: 1000 })).toThrow(
      "must be less than leaseMs",
    );
    expect(() => postgresDriver({ poolSize: 1 })).toThrow("at least 2");
    expect(() => postgresDriver({ listen: "yes" as never })).toThrow(TypeError);
    expect(() => postgresDriver(null as never)).toThrow(TypeError);
  });

  it("takes the program's own pg.Pool as sql, as it does as pool", async () => {
    const pool = new pg.Pool({ connectionString: url(), max: 3 });
    pool.on("error", () => {});
    const driver = postgresDriver({ sql: pool, schema: "own_pool_as_sql" });
    await driver.open!({ owner: "me", report() {} });
    const record = {
      id: "a",
      work: "w",
      status: "pending" as const,
      state: { n: 1 },
      step: 0,
      rev: 1,
      createdAt: 1,
      updatedAt: 1,
    };
    expect(await driver.commit([{ type: "put", record, expectRev: 0 }])).toEqual([{ ok: true }]);
    expect((await driver.get("a"))?.state).toEqual({ n: 1 });
    await driver.close!();
    await pool.query('DROP SCHEMA "own_pool_as_sql" CASCADE');
    await pool.end();
  });

  it("importing the driver and making one loads no pg; opening it does", async () => {
    const script = `
      import { createRequire } from "node:module";
      const require = createRequire(import.meta.url);
      const loaded = () => Object.keys(require.cache).some((k) => k.includes("/node_modules/pg/"));
      const { postgresDriver } = await import("./drivers/postgres/mod.ts");
      const driver = postgresDriver({ url: process.argv[1], schema: "lazy_import" });
      const before = loaded();
      await driver.open({ owner: "me", report() {} });
      const after = loaded();
      await driver.close();
      console.log(JSON.stringify({ before, after }));
    `;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ["--import", "tsx", "--input-type=module", "-e", script, url()],
        { cwd: root },
        (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(stdout)),
      )
    );
    expect(JSON.parse(out.trim().split("\n").pop()!)).toEqual({ before: false, after: true });
  });
});
