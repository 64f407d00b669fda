import { openKv } from "@deno/kv";
import { describe, expect, it } from "vitest";
import { createEngine, DriverError } from "../../src/mod.ts";
import type { TaskRecord } from "../../src/driver.ts";
import { denoKvDriver } from "../../drivers/deno-kv/mod.ts";
import { count } from "./_fixture.ts";
import { context, useStore } from "./_store.ts";

const store = useStore();
const path = () => store.path;

function record(id: string): TaskRecord {
  return {
    id,
    work: "w",
    status: "pending",
    state: { id },
    step: 0,
    rev: 1,
    createdAt: 1,
    updatedAt: 1,
  };
}

describe("deno-kv options", () => {
  it("stores under different prefixes in one database do not see each other", async () => {
    const kv = await openKv(path());
    const a = denoKvDriver({ kv, prefix: ["app", "a"] });
    const b = denoKvDriver({ kv, prefix: ["app", 2] });
    await a.open?.(context);
    await b.open?.(context);
    await a.commit([{ type: "put", record: record("x"), expectRev: 0 }]);
    expect(await b.get("x")).toBeUndefined();
    expect(await b.list()).toEqual([]);
    expect(await b.commit([{ type: "put", record: record("x"), expectRev: 0 }])).toEqual([{
      ok: true,
    }]);
    expect((await a.list({ status: ["pending"] })).length).toBe(1);
    const keys: unknown[] = [];
    for await (const entry of kv.list({ prefix: [] })) keys.push(entry.key[0]);
    expect(new Set(keys)).toEqual(new Set(["app"]));
    await a.close?.();
    await b.close?.();
    kv.close();
  });

  it('the default prefix is ["stater"]', async () => {
    const d = denoKvDriver({ path: path() });
    await d.open?.(context);
    await d.commit([{ type: "put", record: record("x"), expectRev: 0 }]);
    await d.close?.();
    const kv = await openKv(path());
    expect((await kv.get(["stater", "task", "x"])).versionstamp).not.toBeNull();
    kv.close();
  });

  it("closing the driver leaves a given kv open, and a driver opens again after close", async () => {
    const kv = await openKv(path());
    const engine = await createEngine({ driver: denoKvDriver({ kv }), work: { count } });
    await (await engine.create("count", { n: 0, to: 2 }, { id: "c" })).result();
    await engine.close();
    expect((await kv.get(["stater", "task", "c"])).versionstamp, "still usable").not.toBeNull();
    const d = denoKvDriver({ kv });
    await d.open?.(context);
    await expect(Promise.resolve().then(() => d.open?.(context))).rejects.toMatchObject({
      code: "ALREADY_OPEN",
    });
    await d.close?.();
    await d.open?.(context);
    expect((await d.get("c"))?.status).toBe("done");
    await d.close?.();
    kv.close();
  });

  it("a driver that is not open says so", async () => {
    const d = denoKvDriver({ path: path() });
    await expect(Promise.resolve().then(() => d.get("x"))).rejects.toMatchObject({
      name: "DriverError",
      code: "NOT_OPEN",
    });
  });

  it("on Node a path or a kv is required", async () => {
    const d = denoKvDriver();
    const error = await Promise.resolve().then(() => d.open?.(context)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DriverError);
    expect((error as DriverError).message).toMatch(/denoKvDriver\(\{ path \}\)/);
  });

  it("a path that cannot be opened gives a DriverError naming it", async () => {
    const d = denoKvDriver({ path: `${path()}/no/such/dir/store.kv` });
    const error = await Promise.resolve().then(() => d.open?.(context)).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "DriverError", code: "OPEN_FAILED" });
    expect((error as Error).message).toContain("no/such/dir");
  });

  it("wrong options are refused at once with TypeError or RangeError", async () => {
    const kv = await openKv(path());
    expect(() => denoKvDriver({ path: path(), kv })).toThrow(/not both/);
    expect(() => denoKvDriver({ path: "" })).toThrow(TypeError);
    expect(() => denoKvDriver({ kv: {} as never })).toThrow(TypeError);
    expect(() => denoKvDriver({ path: path(), prefix: "stater" as never })).toThrow(TypeError);
    expect(() => denoKvDriver({ path: path(), prefix: [{}] as never })).toThrow(TypeError);
    expect(() => denoKvDriver({ path: path(), leaseMs: 0 })).toThrow(RangeError);
    expect(() => denoKvDriver({ path: path(), leaseMs: 200, renewEveryMs: 1000 })).toThrow(
      /less than leaseMs/,
    );
    expect(() => denoKvDriver({ path: path(), pollMs: "fast" as never })).toThrow(TypeError);
    expect(denoKvDriver({ path: path(), leaseMs: 3000 }).renewEveryMs).toBe(1000);
    expect(denoKvDriver({ path: path() }).renewEveryMs).toBe(5000);
    kv.close();
  });
});
