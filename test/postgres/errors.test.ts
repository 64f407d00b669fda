import pg from "pg";
import { describe, expect, it } from "vitest";
import { DriverError } from "../../src/driver.ts";
import { postgresDriver } from "../../drivers/postgres/mod.ts";
import { loadPg } from "../../drivers/postgres/_pg.ts";
import { PASSWORD_ROLE, PASSWORD_ROLE_SECRET } from "./_cluster.ts";
import { contextFor, runningRecord as record, url, useDatabase } from "./_db.ts";
import { startProxy } from "./_proxy.ts";

const db = useDatabase();

function withUrl(patch: (u: URL) => void): string {
  const u = new URL(url());
  patch(u);
  return u.toString();
}

async function openFails(options: Parameters<typeof postgresDriver>[0]): Promise<DriverError> {
  const driver = postgresDriver({ ...options, schema: db.schema });
  try {
    await driver.open!(contextFor("me"));
  } catch (error) {
    expect(error).toBeInstanceOf(DriverError);
    return error as DriverError;
  } finally {
    await driver.close?.();
  }
  throw new Error("the driver opened");
}

/** The pid of the backend of the driver's connection that waits on a lock, once there is one. */
async function waitingBackend(admin: pg.Pool, schema: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await admin.query(
      `SELECT pid FROM pg_stat_activity WHERE application_name = 'stater'
       AND wait_event_type = 'Lock' AND query LIKE $1`,
      [`%"${schema}"%`],
    );
    if (rows[0]) return rows[0].pid;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("no commit waited on the lock");
}

describe("postgres driver errors", () => {
  it("a port where no server listens is CONNECTION_REFUSED, naming host and port", async () => {
    const error = await openFails({ url: withUrl((u) => (u.port = "1")) });
    expect(error.code).toBe("CONNECTION_REFUSED");
    expect(error.message).toContain("127.0.0.1:1");
    expect(error.message).toContain("check the host and port");
  });

  it("a wrong password is AUTHENTICATION_FAILED", async () => {
    await db.admin.query(`DROP ROLE IF EXISTS ${PASSWORD_ROLE}`);
    await db.admin.query(`CREATE ROLE ${PASSWORD_ROLE} LOGIN PASSWORD '${PASSWORD_ROLE_SECRET}'`);
    const error = await openFails({
      url: withUrl((u) => {
        u.username = PASSWORD_ROLE;
        u.password = "wrong-password";
      }),
    });
    expect(error.code).toBe("AUTHENTICATION_FAILED");
    expect(error.message).toContain("password");
  });

  it("a role without rights on the schema is PERMISSION_DENIED, with what to grant", async () => {
    const role = `r_${db.schema}`;
    await db.admin.query(`CREATE SCHEMA "${db.schema}"`);
    await db.admin.query(`CREATE ROLE ${role} LOGIN`);
    try {
      const error = await openFails({ url: withUrl((u) => (u.username = role)) });
      expect(error.code).toBe("PERMISSION_DENIED");
      expect(error.message).toContain("grant");
    } finally {
      await db.admin.query(`DROP ROLE ${role}`);
    }
  });

  it("a commit cut off before it landed is read back and applied once", async () => {
    const driver = await db.open("me", { reconnectForMs: 20_000 });
    await driver.commit([{ type: "put", record: record("a"), expectRev: 0 }]);
    const blocker = await db.admin.connect();
    try {
      await blocker.query("BEGIN");
      await blocker.query(`SELECT 1 FROM ${db.table} WHERE id = 'a' FOR UPDATE`);
      const commit = driver.commit([{ type: "put", record: record("a", 2), expectRev: 1 }]);
      await db.admin.query("SELECT pg_terminate_backend($1)", [
        await waitingBackend(db.admin, db.schema),
      ]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await blocker.query("COMMIT");
      expect(await commit).toEqual([{ ok: true }]);
    } finally {
      blocker.release();
    }
    const { rows } = await db.admin.query(`SELECT rev FROM ${db.table} WHERE id = 'a'`);
    expect(rows).toEqual([{ rev: "2" }]);
  });

  it("a commit whose answer was lost with its connection is known to have landed", async () => {
    const proxy = await startProxy(url());
    try {
      const driver = postgresDriver({ url: proxy.url, schema: db.schema, listen: false });
      await driver.open!(contextFor("me"));
      try {
        await driver.commit([{ type: "put", record: record("landed"), expectRev: 0 }]);
        const order: string[] = [];
        const cut = proxy.cutAfterAnswer("landed").then(() => order.push("cut"));
        const results = await driver.commit([{
          type: "put",
          record: record("landed", 2),
          expectRev: 1,
        }]);
        order.push("committed");
        await cut;
        expect(order, "the commit's own answer was the one lost").toEqual(["cut", "committed"]);
        expect(results).toEqual([{ ok: true }]);
        expect((await driver.get("landed"))?.rev).toBe(2);
      } finally {
        await driver.close?.();
      }
    } finally {
      await proxy.close();
    }
  });

  it("a table dropped or altered underneath is TABLE_CHANGED, with advice", async () => {
    const driver = await db.open("me");
    await driver.commit([{ type: "put", record: record("a"), expectRev: 0 }]);
    await db.admin.query(`ALTER TABLE ${db.table} RENAME COLUMN body TO contents`);
    const altered = await Promise.resolve(driver.get("a")).catch((error) => error);
    expect(altered).toBeInstanceOf(DriverError);
    expect(altered.code).toBe("TABLE_CHANGED");
    expect(altered.message).toContain("altered outside stater");
    await db.admin.query(`DROP TABLE ${db.table} CASCADE`);
    const dropped = await Promise.resolve(
      driver.commit([{ type: "put", record: record("a", 2), expectRev: 1 }]),
    ).catch((error) => error);
    expect(dropped).toBeInstanceOf(DriverError);
    expect(dropped.code).toBe("TABLE_CHANGED");
  });

  it("a missing pg package says what to install", async () => {
    const error = await loadPg(["stater-no-such-client"]).catch((e) => e);
    expect(error).toBeInstanceOf(DriverError);
    expect(error.code).toBe("CLIENT_MISSING");
    expect(error.message).toContain("npm install pg");
  });

  it("no url, no pool and no DATABASE_URL is NO_SERVER", async () => {
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      const error = await openFails({});
      expect(error.code).toBe("NO_SERVER");
      process.env.DATABASE_URL = url();
      const driver = postgresDriver({ schema: db.schema });
      await driver.open!(contextFor("me"));
      await driver.close?.();
    } finally {
      if (saved === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = saved;
    }
  });
});
