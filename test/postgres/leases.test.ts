import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { type Driver, OwnershipLostError } from "../../src/driver.ts";
import { createEngine, type WorkFunction } from "../../src/mod.ts";
import { LOCK_SPACE } from "../../drivers/postgres/_schema.ts";
import { runningRecord as record, url, useDatabase } from "./_db.ts";

const db = useDatabase();
const HOLDER = fileURLToPath(new URL("./_holder.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) {
    child.kill("SIGCONT");
    child.kill("SIGKILL");
  }
});

const never = () => new AbortController().signal;

async function withTask(driver: Driver, id = "x"): Promise<void> {
  await driver.commit([{ type: "put", record: record(id), expectRev: 0 }]);
}

/** Starts a process holding task `id`'s lease; resolves once it holds it. */
function holder(id: string, listen: boolean): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", HOLDER, url(), db.schema, id, String(listen)],
      { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
    );
    children.push(child);
    child.stdout!.on("data", (chunk) => {
      if (String(chunk).includes("not held")) reject(new Error("the holder got no lease"));
      else if (String(chunk).includes("held")) resolve(child);
    });
    child.on("exit", (code) => reject(new Error(`the holder exited with ${code}`)));
  });
}

describe("postgres leases", () => {
  it("an engine waiting for a lease gets it as soon as the holder frees it, told by NOTIFY", async () => {
    const a = await db.open("a");
    const b = await db.open("b", { pollMs: 60_000 });
    await withTask(a);
    const held = await a.acquire!("x", { owner: "a", wait: false, signal: never() });
    expect(held).toBeDefined();
    expect(await b.acquire!("x", { owner: "b", wait: false, signal: never() })).toBeUndefined();
    const waiting = b.acquire!("x", { owner: "b", wait: true, signal: never() });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const t0 = Date.now();
    await held!.release();
    expect(await waiting).toBeDefined();
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it("an engine that waited for a lease has heard its holder's last commit when it gets it", async () => {
    const a = await db.open("a");
    const b = await db.open("b", { pollMs: 60_000 });
    const heard: number[] = [];
    b.subscribe!((event) => event.type === "commit" && heard.push(event.record.rev));
    await withTask(a);
    const held = await a.acquire!("x", { owner: "a", wait: false, signal: never() });
    // A plain step (same status as the last commit) is told late, unless the lease is freed.
    await a.commit([{ type: "put", record: record("x", 2), expectRev: 1 }]);
    await a.commit([{ type: "put", record: record("x", 3), expectRev: 2 }]);
    const waiting = b.acquire!("x", { owner: "b", wait: true, signal: never() });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await held!.release();
    expect(await waiting).toBeDefined();
    expect(heard.at(-1)).toBe(3);
  });

  it("a lease whose holder's session is gone from the server is taken over at once", async () => {
    const b = await db.open("b", { leaseMs: 600_000, renewEveryMs: 1000 });
    await withTask(b);
    const child = await holder("x", true);
    // The holder is alive but frozen, so only its session's end can free the lease.
    child.kill("SIGSTOP");
    expect(await b.acquire!("x", { owner: "b", wait: false, signal: never() })).toBeUndefined();
    const { rows } = await db.admin.query(
      `SELECT l.pid FROM pg_locks l JOIN ${db.table} t ON l.objid::bigint = t.lease_session
       WHERE l.locktype = 'advisory' AND l.classid = $1::oid AND t.id = 'x'`,
      [LOCK_SPACE],
    );
    expect(rows).toHaveLength(1);
    await db.admin.query("SELECT pg_terminate_backend($1)", [rows[0].pid]);
    const lease = await b.acquire!("x", { owner: "b", wait: true, signal: never() });
    expect(lease).toBeDefined();
  });

  it("a lease held by a process of this host that is gone is taken over at once", async () => {
    const b = await db.open("b", { listen: false, leaseMs: 600_000, renewEveryMs: 1000 });
    await withTask(b);
    const child = await holder("x", false);
    expect(await b.acquire!("x", { owner: "b", wait: false, signal: never() })).toBeUndefined();
    child.kill("SIGKILL");
    await new Promise((resolve) => child.on("exit", resolve));
    const t0 = Date.now();
    const lease = await b.acquire!("x", { owner: "b", wait: true, signal: never() });
    expect(lease).toBeDefined();
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it("an expired lease is taken over, and its old holder can never commit again", async () => {
    const options = { leaseMs: 300, renewEveryMs: 100 };
    const a = await db.open("a", options);
    const b = await db.open("b", options);
    await withTask(a);
    const old = await a.acquire!("x", { owner: "a", wait: false, signal: never() });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const fresh = await b.acquire!("x", { owner: "b", wait: false, signal: never() });
    expect(fresh).toBeDefined();
    const [refused] = await a.commit([{ type: "put", record: record("x", 2), expectRev: 1 }]);
    expect(refused).toEqual({ ok: false, conflict: true });
    expect(old!.lost?.aborted).toBe(true);
    expect(await b.commit([{ type: "put", record: record("x", 2), expectRev: 1 }])).toEqual([
      { ok: true },
    ]);
    await expect(old!.renew!()).rejects.toBeInstanceOf(OwnershipLostError);
  });

  it("renewing a lease that another took rejects with OwnershipLostError and aborts lost", async () => {
    const options = { leaseMs: 300, renewEveryMs: 100 };
    const a = await db.open("a", options);
    const b = await db.open("b", options);
    await withTask(a);
    const old = await a.acquire!("x", { owner: "a", wait: false, signal: never() });
    await old!.renew!();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await b.acquire!("x", { owner: "b", wait: false, signal: never() })).toBeDefined();
    await expect(old!.renew!()).rejects.toBeInstanceOf(OwnershipLostError);
    expect(old!.lost?.aborted).toBe(true);
  });

  it("a renewed lease outlives its first expiry", async () => {
    const options = { leaseMs: 400, renewEveryMs: 100 };
    const a = await db.open("a", options);
    const b = await db.open("b", options);
    await withTask(a);
    const held = await a.acquire!("x", { owner: "a", wait: false, signal: never() });
    for (let i = 0; i < 6; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await held!.renew!();
    }
    expect(await b.acquire!("x", { owner: "b", wait: false, signal: never() })).toBeUndefined();
  });

  it("an engine that closes frees its leases, so another takes its tasks at once", async () => {
    const slow: WorkFunction<{ n: number }, number> = async (s) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { n: s.n + 1 };
    };
    const options = { leaseMs: 600_000, renewEveryMs: 1000 };
    const a = await createEngine({ driver: db.driver(options), work: { slow }, owner: "a" });
    const b = await createEngine({ driver: db.driver(options), work: { slow }, owner: "b" });
    const task = await a.create("slow", { n: 0 }, { id: "handed" });
    while (task.step < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    await a.close();
    const holders = async () =>
      (await db.admin.query(`SELECT owner FROM "${db.schema}".stater_tasks_leases`)).rows;
    const t0 = Date.now();
    while ((await holders()).length === 0) {
      expect(Date.now() - t0, "b took the lease within 5 s").toBeLessThan(5000);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(await holders()).toEqual([{ owner: "b" }]);
    const there = (await b.get("handed"))!;
    const at = there.step;
    while (there.step <= at + 2) await new Promise((resolve) => setTimeout(resolve, 5));
    await there.pause({ immediate: true });
    await b.close();
  });

  it("the leases view names each holder's owner, host and pid", async () => {
    const a = await db.open("a");
    await withTask(a, "x");
    await withTask(a, "y");
    await a.acquire!("x", { owner: "a", wait: false, signal: never() });
    const { rows } = await db.admin.query(
      `SELECT id, owner, host, pid, expired FROM "${db.schema}".stater_tasks_leases`,
    );
    expect(rows).toEqual([{
      id: "x",
      owner: "a",
      host: expect.any(String),
      pid: process.pid,
      expired: false,
    }]);
  });
});
