import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createEngine, type Driver } from "../../src/mod.ts";
import { decode, type TaskRecord } from "../../src/driver.ts";
import { denoKvDriver } from "../../drivers/deno-kv/mod.ts";
import { count, richState } from "./_fixture.ts";
import { useStore } from "./_store.ts";
import { deno } from "./_deno.ts";

const script = fileURLToPath(new URL("./_interop.deno.ts", import.meta.url));
const root = fileURLToPath(new URL("../../", import.meta.url));

const store = useStore();
const nodeDriver = (owner = "node"): Promise<Driver> =>
  store.open(owner, { leaseMs: 1000, renewEveryMs: 300, pollMs: 50 });

describe("deno-kv across Deno and Node", () => {
  it("a record written by Deno reads back whole on Node", async () => {
    expect(await deno(["write", store.path, "from-deno"])).toEqual([{ ok: true }]);
    const d = await nodeDriver();
    const record = await d.get("from-deno");
    expect(record?.status).toBe("paused");
    expect(record?.step).toBe(3);
    expect(record?.state).toEqual(richState());
  });

  it("a Node engine hears the progress and messages of a task a Deno process runs", async () => {
    const engine = await createEngine({
      driver: denoKvDriver({ path: store.path, pollMs: 20 }),
      work: { count },
      owner: "node",
      autoResume: false,
    });
    const messages: unknown[] = [];
    const progress: number[] = [];
    engine.on("message", (e) => messages.push(e.message));
    engine.on("progress", (e) => progress.push(e.done));
    expect(await deno(["talk", store.path, "talking"])).toEqual({ result: 10 });
    const end = Date.now() + 5000;
    while (messages.length < 11 && Date.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(messages).toEqual(
      Array.from({ length: 11 }, (_, n) => ({ from: "deno", n, at: new Date(n) })),
    );
    expect(progress.at(-1)).toBe(10);
    await engine.close();
  });

  it("a record written by Node reads back whole on Deno", async () => {
    const d = await nodeDriver();
    const record: TaskRecord = {
      id: "from-node",
      work: "w",
      status: "done",
      state: richState(),
      result: [1n],
      step: 4,
      rev: 1,
      createdAt: 1,
      updatedAt: 2,
    };
    expect(await d.commit([{ type: "put", record, expectRev: 0 }])).toEqual([{ ok: true }]);
    await d.close?.();
    const out = await deno(["read", store.path, "from-node"]);
    expect(decode(out.text as string)).toEqual(record);
  });

  it("a lease held by a Deno process that died on this host is taken over by Node at once", async () => {
    expect(await deno(["hold", store.path, "t"])).toEqual({ held: true });
    const d = await nodeDriver();
    const never = new AbortController().signal;
    const lease = await d.acquire!("t", { owner: "node", wait: false, signal: never });
    expect(lease?.id, "taken without waiting for the lease to expire").toBe("t");
    await lease!.release();
  });

  it("defect 14: an engine restarted with the same owner takes over at once the lease its dead predecessor held", async () => {
    expect(await deno(["hold", store.path, "t", "30000"])).toEqual({ held: true });
    const d = await store.open("deno");
    const never = new AbortController().signal;
    const lease = await d.acquire!("t", { owner: "deno", wait: false, signal: never });
    expect(lease?.id, "taken without waiting for the lease to expire").toBe("t");
    expect(
      await d.acquire!("t", { owner: "deno", wait: false, signal: never }),
      "but not twice by the same live engine",
    ).toBeUndefined();
    await lease!.release();
  });

  it("defect 14: a Deno process not allowed to name itself holds leases all the same, which then run out as before, and the waiting engine says why once", async () => {
    // No --allow-sys and no --allow-run: nothing is asked (no prompt, no error), the lease names no process.
    expect(
      await deno(["hold", store.path, "t"], ["--unstable-kv", "--allow-read", "--allow-write"]),
    ).toEqual({ held: true });
    const reports: unknown[] = [];
    const d = await store.open(
      "node",
      { leaseMs: 1000, renewEveryMs: 300, pollMs: 50 },
      (error) => reports.push(error),
    );
    const never = new AbortController().signal;
    expect(await d.acquire!("t", { owner: "node", wait: false, signal: never }), "still held")
      .toBeUndefined();
    const lease = await d.acquire!("t", { owner: "node", wait: true, signal: never });
    expect(lease?.id).toBe("t");
    await lease!.release();
    expect(reports.map((r) => (r as Error).message)).toEqual([
      expect.stringContaining(
        "the engine holding it named no process (a Deno process run " +
          "without --allow-sys=hostname, or an older stater)",
      ),
    ]);
  });

  it("a task started by a Node engine is resumed and finished by a Deno engine", async () => {
    const engine = await createEngine({
      driver: denoKvDriver({ path: store.path }),
      work: { count },
      owner: "node",
    });
    const task = await engine.create("count", { n: 0, to: 40 }, { id: "shared" });
    while (task.step < 5) await new Promise((resolve) => setTimeout(resolve, 5));
    await engine.close();
    expect(task.status).toBe("running");
    expect(await deno(["finish", store.path, "shared"])).toEqual({ result: 40 });
    const d = await nodeDriver();
    const record = await d.get("shared");
    expect([record?.status, record?.result, record?.step]).toEqual(["done", 40, 41]);
  });

  it("a Deno engine already open on the store takes over a task when the Node engine running it closes", async () => {
    const child = spawn("npx", [
      "deno",
      "run",
      "--allow-all",
      "--unstable-kv",
      script,
      "await",
      store.path,
      "live",
    ], { cwd: root });
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Uint8Array) => (out += new TextDecoder().decode(b)));
    child.stderr.on("data", (b: Uint8Array) => (err += new TextDecoder().decode(b)));
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    while (!out.includes('"ready"')) {
      if (child.exitCode !== null) throw new Error(`the Deno engine exited early: ${err}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const seen: number[] = [];
    const counted: typeof count = (s, ctx) => {
      seen.push(s.n);
      return count(s, ctx);
    };
    const engine = await createEngine({
      driver: denoKvDriver({ path: store.path, pollMs: 50 }),
      work: { count: counted },
      owner: "node",
    });
    const task = await engine.create("count", { n: 0, to: 60 }, { id: "live" });
    while (task.step < 10) await new Promise((resolve) => setTimeout(resolve, 5));
    await engine.close();
    await exited;
    const last = JSON.parse(out.trim().split("\n").pop()!) as { result: number; seen: number[] };
    expect(last.result).toBe(60);
    expect(last.seen[0], "Deno resumed where Node's last commit left it").toBe(task.step);
    expect([...seen, ...last.seen], "every step ran once, in one engine at a time").toEqual(
      Array.from({ length: 61 }, (_, i) => i),
    );
  });

  it("on Deno without --unstable-kv, opening says to add the flag", async () => {
    const out = await deno(["read", store.path, "x"], ["--allow-all"]);
    expect(out.error).toMatchObject({ name: "DriverError", code: "KV_UNAVAILABLE" });
    expect((out.error as { message: string }).message).toMatch(/--unstable-kv/);
  });
});
