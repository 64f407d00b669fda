import { hostname } from "node:os";
import { openKv } from "@deno/kv";
import { describe, expect, it } from "vitest";
import { createEngine, type Driver, OwnershipLostError, type WorkFunction } from "../../src/mod.ts";
import { denoKvDriver, type DenoKvDriverOptions, type KvLike } from "../../drivers/deno-kv/mod.ts";
import { useStore } from "./_store.ts";

const store = useStore();
const driver = (
  owner: string,
  options: Omit<DenoKvDriverOptions, "path" | "kv"> = {},
): Promise<Driver> => store.open(owner, options);

const never = new AbortController().signal;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("deno-kv leases", () => {
  it("a held lease is refused to another owner until it is released", async () => {
    const a = await driver("a");
    const b = await driver("b");
    const lease = await a.acquire!("t", { owner: "a", wait: false, signal: never });
    expect(lease?.id).toBe("t");
    expect(await b.acquire!("t", { owner: "b", wait: false, signal: never })).toBeUndefined();
    expect(
      await a.acquire!("t", { owner: "a", wait: false, signal: never }),
      "not even the same owner twice",
    ).toBeUndefined();
    await lease!.release();
    const taken = await b.acquire!("t", { owner: "b", wait: false, signal: never });
    expect(taken).toBeDefined();
    await taken!.release();
  });

  it("an expired lease is taken over, and its old holder finds it lost on renewal", async () => {
    const a = await driver("a", { leaseMs: 150, renewEveryMs: 50 });
    const b = await driver("b", { leaseMs: 150, renewEveryMs: 50 });
    const old = await a.acquire!("t", { owner: "a", wait: false, signal: never });
    expect(await b.acquire!("t", { owner: "b", wait: false, signal: never })).toBeUndefined();
    await sleep(220);
    const fresh = await b.acquire!("t", { owner: "b", wait: false, signal: never });
    expect(fresh, "taken over after expiry").toBeDefined();
    expect(old!.lost!.aborted).toBe(false);
    await expect(old!.renew!()).rejects.toBeInstanceOf(OwnershipLostError);
    expect(old!.lost!.aborted, "lost fires").toBe(true);
    await old!.release();
    expect(
      await a.acquire!("t", { owner: "a", wait: false, signal: never }),
      "releasing a lost lease frees nothing",
    ).toBeUndefined();
    await fresh!.renew!();
    await fresh!.release();
  });

  it("renewing keeps a lease past its first expiry", async () => {
    const a = await driver("a", { leaseMs: 150, renewEveryMs: 50 });
    const b = await driver("b", { leaseMs: 150, renewEveryMs: 50 });
    const lease = await a.acquire!("t", { owner: "a", wait: false, signal: never });
    for (let i = 0; i < 6; i++) {
      await sleep(60);
      await lease!.renew!();
    }
    expect(await b.acquire!("t", { owner: "b", wait: false, signal: never })).toBeUndefined();
    await lease!.release();
  });

  it("wait: true resolves once the holder releases, and undefined when the signal aborts", async () => {
    const a = await driver("a", { pollMs: 20 });
    const b = await driver("b", { pollMs: 20 });
    const lease = await a.acquire!("t", { owner: "a", wait: false, signal: never });
    const waiting = b.acquire!("t", { owner: "b", wait: true, signal: never });
    const ac = new AbortController();
    const giveUp = b.acquire!("t", { owner: "b", wait: true, signal: ac.signal });
    await sleep(60);
    ac.abort();
    expect(await giveUp).toBeUndefined();
    await lease!.release();
    const got = await waiting;
    expect(got?.id).toBe("t");
    await got!.release();
  });

  it("an engine waiting for many leases reads them ten at a time, not one by one", async () => {
    const a = await driver("a");
    const kv = await openKv(store.path);
    const reads = { get: 0, getMany: 0 };
    const counting: KvLike = {
      get: (k) => (reads.get++, kv.get(k)),
      getMany: (keys) => (reads.getMany++, kv.getMany(keys)),
      list: (s, o) => kv.list(s, o),
      atomic: () => kv.atomic(),
      close: () => kv.close(),
    };
    const b = denoKvDriver({ kv: counting, pollMs: 30 });
    await b.open?.({
      owner: "b",
      report: (error) => {
        throw error;
      },
    });
    const ids = Array.from({ length: 25 }, (_, i) => `t${i}`);
    const held = await Promise.all(
      ids.map((id) => a.acquire!(id, { owner: "a", wait: false, signal: never })),
    );
    const waiting = Promise.all(
      ids.map((id) => b.acquire!(id, { owner: "b", wait: true, signal: never })),
    );
    await sleep(200);
    expect(reads.get, "one read each, before waiting").toBe(25);
    const polls = reads.getMany;
    expect(polls).toBeGreaterThanOrEqual(3 * 2);
    expect(polls % 3, "three reads of ten keys per poll").toBe(0);
    await Promise.all(held.map((lease) => lease!.release()));
    const got = await waiting;
    expect(got.map((lease) => lease?.id)).toEqual(ids);
    await Promise.all(got.map((lease) => lease!.release()));
    await b.close?.();
    kv.close();
  });

  it("closing the driver ends its waits for leases with undefined", async () => {
    const a = await driver("a");
    const b = denoKvDriver({ path: store.path, pollMs: 20 });
    await b.open?.({
      owner: "b",
      report: (error) => {
        throw error;
      },
    });
    const lease = await a.acquire!("t", { owner: "a", wait: false, signal: never });
    const waiting = b.acquire!("t", { owner: "b", wait: true, signal: never });
    await sleep(50);
    await b.close?.();
    expect(await waiting).toBeUndefined();
    await lease!.release();
  });

  it("the lease is stored as bytes naming its owner, expiry and process", async () => {
    const a = await driver("owner-1", { prefix: ["p"] });
    const lease = await a.acquire!("t", { owner: "owner-1", wait: false, signal: never });
    const kv = await openKv(store.path);
    try {
      const entry = await kv.get(["p", "lease", "t"]);
      expect(entry.value).toBeInstanceOf(Uint8Array);
      const [tag, owner, expiresAt, holder] = JSON.parse(
        new TextDecoder().decode(entry.value as Uint8Array),
      );
      expect([tag, owner]).toEqual(["l2", "owner-1"]);
      expect(expiresAt).toBeGreaterThan(Date.now());
      expect(holder).toMatchObject({ pid: process.pid, host: hostname() });
    } finally {
      kv.close();
    }
    await lease!.release();
  });

  it("when a lease runs out under a running engine, another engine takes the task over and one of them finishes it", async () => {
    let steps = 0;
    const slow: WorkFunction<{ n: number }, number> = async (s, ctx) => {
      steps++;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return s.n >= 60 ? ctx.done(s.n) : { n: s.n + 1 };
    };
    const first = denoKvDriver({ path: store.path, leaseMs: 200, renewEveryMs: 150, pollMs: 20 });
    // Renewals never reach the store: the lease runs out while the engine steps.
    const acquire = first.acquire!.bind(first);
    first.acquire = async (id, o) => {
      const lease = await acquire(id, o);
      if (lease) (lease as { renew?: () => Promise<void> }).renew = () => Promise.resolve();
      return lease;
    };
    const a = await createEngine({ driver: first, work: { slow } });
    const errors: unknown[] = [];
    a.on("error", (e) => errors.push(e.error));
    const task = await a.create("slow", { n: 0 }, { id: "x" });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const b = await createEngine({
      driver: denoKvDriver({ path: store.path, leaseMs: 200, renewEveryMs: 150, pollMs: 20 }),
      work: { slow },
    });
    b.on("error", (e) => errors.push(e.error));
    const deadline = Date.now() + 10_000;
    let done = false;
    while (!done && Date.now() < deadline) {
      done = (await b.list({ status: "done" })).length === 1;
      await sleep(50);
    }
    expect(done, "the second engine finished it").toBe(true);
    // Both stepped it for a while; the first commit after the takeover found a newer revision and stopped one.
    expect(
      errors.some((e) => e instanceof OwnershipLostError),
      "an engine noticed it lost the task",
    ).toBe(true);
    expect(((await b.get("x"))?.state as { n: number }).n).toBe(60);
    expect(task.status === "done" || task.status === "paused" || task.status === "running").toBe(
      true,
    );
    expect(steps).toBeGreaterThanOrEqual(61);
    await a.close();
    await b.close();
  });

  it("defect 14: a lease of a process on another host, or of an earlier version, is taken over only once it expires, and the unnamed holder is reported once", async () => {
    const kv = await openKv(store.path);
    const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    try {
      const soon = Date.now() + 600;
      await kv.set(
        ["p", "lease", "far"],
        bytes(["l2", "elsewhere", soon, { pid: 1, host: `not-${hostname()}` }]),
      );
      await kv.set(["p", "lease", "old"], bytes(["l1", "older", soon]));
    } finally {
      kv.close();
    }
    const reports: unknown[] = [];
    const d = await store.open(
      "me",
      { prefix: ["p"], leaseMs: 1000, renewEveryMs: 300, pollMs: 50 },
      (error) => reports.push(error),
    );
    for (const id of ["far", "old"]) {
      expect(
        await d.acquire!(id, { owner: "me", wait: false, signal: never }),
        `${id} is still held`,
      ).toBeUndefined();
    }
    const leases = await Promise.all(
      ["far", "old"].map((id) => d.acquire!(id, { owner: "me", wait: true, signal: never })),
    );
    expect(leases.map((l) => l?.id)).toEqual(["far", "old"]);
    for (const lease of leases) await lease!.release();
    // Another host's holder is waited out without a word; one that named no process is reported, once.
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ name: "DriverError", code: "TAKEOVER_AT_EXPIRY" });
    expect((reports[0] as Error).message).toMatch(
      /^Task "old" is held by another engine's lease, and the engine holding it named no process/,
    );
  });

  it("a lease of a process of this host that is gone is taken over at once", async () => {
    const kv = await openKv(store.path);
    try {
      // A process id that is not in use: larger than any the kernel hands out.
      const dead = { pid: 2 ** 22 + 17, host: hostname() };
      await kv.set(
        ["p", "lease", "t"],
        new TextEncoder().encode(JSON.stringify(["l2", "dead", Date.now() + 60_000, dead])),
      );
    } finally {
      kv.close();
    }
    const d = await driver("me", { prefix: ["p"] });
    const lease = await d.acquire!("t", { owner: "me", wait: false, signal: never });
    expect(lease?.id).toBe("t");
    await lease!.release();
  });
});
