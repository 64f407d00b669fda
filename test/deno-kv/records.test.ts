import { openKv } from "@deno/kv";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Driver, StateNotStorableError, StoreCorruptError } from "../../src/mod.ts";
import { denoKvDriver, type KvLike } from "../../drivers/deno-kv/mod.ts";
import { tempStore } from "./_subject.ts";
import { record } from "../../src/conformance/_records.ts";

let store: Awaited<ReturnType<typeof tempStore>>;
let raw: Awaited<ReturnType<typeof openKv>>;

beforeEach(async () => {
  store = await tempStore();
  raw = await openKv(store.path);
});
afterEach(async () => {
  raw.close();
  await store.cleanup();
});

async function opened(kv?: KvLike): Promise<Driver> {
  const d = kv ? denoKvDriver({ kv }) : denoKvDriver({ path: store.path });
  await d.open?.({
    owner: "me",
    report: (error) => {
      throw error;
    },
  });
  return d;
}

async function keysUnder(...prefix: string[]): Promise<unknown[][]> {
  const out: unknown[][] = [];
  for await (const entry of raw.list({ prefix })) out.push([...entry.key]);
  return out;
}

/** A state whose encoding is about `bytes` long and does not compress into one value. */
function bigState(bytes: number, seed = 1): { blob: string; bytes: Uint8Array } {
  let x = seed;
  const chars: string[] = [];
  for (let i = 0; i < bytes / 2; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    chars.push(String.fromCharCode(97 + (x % 26)));
  }
  return { blob: chars.join(""), bytes: new Uint8Array(bytes / 4).map((_, i) => i % 251) };
}

describe("deno-kv records", () => {
  it("stores every value as bytes, never as a serialised JS value", async () => {
    const d = await opened();
    await d.commit([{
      type: "put",
      record: record("a", { state: { when: new Date(1), m: new Map([[1, 2n]]) } }),
      expectRev: 0,
    }]);
    for await (const entry of raw.list({ prefix: ["stater"] })) {
      expect(entry.value, String(entry.key)).toBeInstanceOf(Uint8Array);
    }
    const text = new TextDecoder().decode(
      (await raw.get(["stater", "task", "a"])).value as Uint8Array,
    );
    expect(text.startsWith('["s1",1,"pending","w","me",0,""]\n')).toBe(true);
    await d.close?.();
  });

  it("a record larger than one value is split into chunks and read back whole", async () => {
    const d = await opened();
    const state = bigState(300_000);
    await d.commit([{ type: "put", record: record("big", { state }), expectRev: 0 }]);
    const chunks = await keysUnder("stater", "chunk");
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    expect((await d.get("big"))?.state).toEqual(state);
    const again = await opened();
    expect((await again.list({ status: ["pending"] }))[0]?.state).toEqual(state);
    await again.close?.();
    await d.close?.();
  });

  it("overwriting or deleting a chunked record leaves no old chunks behind", async () => {
    const d = await opened();
    await d.commit([{
      type: "put",
      record: record("big", { state: bigState(200_000, 1) }),
      expectRev: 0,
    }]);
    const first = await keysUnder("stater", "chunk");
    const next = bigState(150_000, 2);
    await d.commit([{ type: "put", record: record("big", { rev: 2, state: next }), expectRev: 1 }]);
    const second = await keysUnder("stater", "chunk");
    expect(second.some((k) => first.some((f) => JSON.stringify(f) === JSON.stringify(k)))).toBe(
      false,
    );
    expect((await d.get("big"))?.state).toEqual(next);
    await d.commit([{
      type: "put",
      record: record("big", { rev: 3, state: { small: true } }),
      expectRev: 2,
    }]);
    expect(await keysUnder("stater", "chunk")).toEqual([]);
    await d.commit([{ type: "put", record: record("big", { rev: 4, state: next }), expectRev: 3 }]);
    await d.commit([{ type: "delete", id: "big" }]);
    expect(await keysUnder("stater")).toEqual([["stater", "clock"]]);
    await d.close?.();
  });

  it("defect 17: a record too large for one atomic operation is refused with StateNotStorableError that gives its size, the limit and what to do, and the rest of the batch goes on", async () => {
    const d = await opened();
    const results = await d.commit([
      { type: "put", record: record("huge", { state: bigState(1_200_000) }), expectRev: 0 },
      { type: "put", record: record("ok"), expectRev: 0 },
    ]);
    const first = results[0];
    expect(first?.ok).toBe(false);
    const error = first && !first.ok ? first.error : undefined;
    expect(error).toBeInstanceOf(StateNotStorableError);
    expect(error?.message).toMatch(
      /^state cannot be stored: task "huge" encodes to \d{7} bytes, more than the 720000 bytes a deno-kv record may take \(what one Deno KV atomic operation can write\)\. Keep large data elsewhere \(a file, an object store, keys of its own\) and store a reference to it in the state$/,
    );
    expect(results[1]).toEqual({ ok: true });
    expect(await d.get("huge")).toBeUndefined();
    await d.close?.();
  });

  it("a batch larger than one atomic operation is packed into several, and a conflict fails only its own write", async () => {
    const d = await opened();
    await d.commit([{ type: "put", record: record("t7"), expectRev: 0 }]);
    const writes = Array.from(
      { length: 35 },
      (_, i) => ({ type: "put" as const, record: record(`t${i}`), expectRev: 0 }),
    );
    const results = await d.commit(writes);
    expect(results.map((r, i) => (r.ok ? "ok" : i))).toEqual(
      writes.map((_, i) => (i === 7 ? 7 : "ok")),
    );
    expect((await d.list()).length).toBe(35);
    await d.close?.();
  });

  it("when another engine changes one record of a packed operation, only that write conflicts", async () => {
    const d = await opened();
    await d.commit(
      Array.from(
        { length: 5 },
        (_, i) => ({ type: "put" as const, record: record(`r${i}`), expectRev: 0 }),
      ),
    );
    const writes = Array.from(
      { length: 5 },
      (_, i) => ({
        type: "put" as const,
        record: record(`r${i}`, { rev: 2, step: 1 }),
        expectRev: 1,
      }),
    );
    // The store changes r3 between the driver's read and its atomic write.
    const kv = await openKv(store.path);
    const other = await opened();
    let raced = false;
    const racing: KvLike = {
      get: (k) => kv.get(k),
      getMany: async (keys) => {
        const got = await kv.getMany(keys);
        if (!raced && keys.length === 5) {
          raced = true;
          await other.commit([{
            type: "put",
            record: record("r3", { rev: 2, step: 9 }),
            expectRev: 1,
          }]);
        }
        return got;
      },
      list: (s, o) => kv.list(s, o),
      atomic: () => kv.atomic(),
      close: () => kv.close(),
    };
    const d2 = await opened(racing);
    const results = await d2.commit(writes);
    expect(raced).toBe(true);
    expect(results.map((r) => r.ok)).toEqual([true, true, true, false, true]);
    expect(results[3]).toEqual({ ok: false, conflict: true });
    expect((await d.get("r3"))?.step).toBe(9);
    expect((await d.get("r4"))?.step).toBe(1);
    await d2.close?.();
    await other.close?.();
    kv.close();
    await d.close?.();
  });

  it("a driver's memory of its last commit never hides another engine's write", async () => {
    const d1 = await opened();
    const d2 = await opened();
    await d1.commit([{ type: "put", record: record("a"), expectRev: 0 }]);
    await d2.commit([{ type: "put", record: record("a", { rev: 2, step: 2 }), expectRev: 1 }]);
    expect(
      await d1.commit([{ type: "put", record: record("a", { rev: 2, step: 1 }), expectRev: 1 }]),
    ).toEqual([{ ok: false, conflict: true }]);
    expect(
      await d1.commit([{ type: "put", record: record("a", { rev: 3, step: 3 }), expectRev: 2 }]),
    ).toEqual([{ ok: true }]);
    await d2.commit([{ type: "delete", id: "a" }]);
    expect(await d1.commit([{ type: "put", record: record("a", { rev: 4 }), expectRev: 3 }]))
      .toEqual([{ ok: false, conflict: true }]);
    expect(await d1.get("a")).toBeUndefined();
    await d1.close?.();
    await d2.close?.();
  });

  it("list({ status }) reads only the index of those statuses", async () => {
    const d = await opened();
    await d.commit([
      ...Array.from(
        { length: 30 },
        (_, i) => ({
          type: "put" as const,
          record: record(`done${i}`, { status: "done", result: i }),
          expectRev: 0,
        }),
      ),
      { type: "put", record: record("p"), expectRev: 0 },
      { type: "put", record: record("r", { status: "running" }), expectRev: 0 },
    ]);
    const kv = await openKv(store.path);
    const read: string[] = [];
    const counting: KvLike = {
      get: (k) => (read.push(String(k)), kv.get(k)),
      getMany: (keys) => (read.push(...keys.map(String)), kv.getMany(keys)),
      list: (s, o) => (read.push(`list ${String(s.prefix)}`), kv.list(s, o)),
      atomic: () => kv.atomic(),
      close: () => kv.close(),
    };
    const d2 = await opened(counting);
    expect((await d2.list({ status: ["pending", "running"] })).map((r) => r.id).sort()).toEqual([
      "p",
      "r",
    ]);
    expect(read.some((k) => k.includes("done"))).toBe(false);
    expect(read).toContain("list stater,by-status,pending");
    await d2.close?.();
    kv.close();
    await d.close?.();
  });

  it("a status change moves the index entry", async () => {
    const d = await opened();
    await d.commit([{ type: "put", record: record("a"), expectRev: 0 }]);
    await d.commit([{
      type: "put",
      record: record("a", { rev: 2, status: "done", result: 1 }),
      expectRev: 1,
    }]);
    expect(await keysUnder("stater", "by-status")).toEqual([["stater", "by-status", "done", "a"]]);
    await d.close?.();
  });

  it("bytes that are not a stater record give StoreCorruptError naming the task", async () => {
    const d = await opened();
    await raw.set(["stater", "task", "bad"], new Uint8Array([1, 2, 3]));
    const error = await Promise.resolve(d.get("bad")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreCorruptError);
    expect((error as Error).message).toMatch(/deno-kv driver cannot read the record of task "bad"/);
    await raw.set(["stater", "task", "js"], "a JS string");
    await expect(d.get("js")).rejects.toThrow(/not bytes/);
    const [result] = await d.commit([{
      type: "put",
      record: record("bad", { rev: 2 }),
      expectRev: 1,
    }]);
    expect(result?.ok === false && result.error instanceof StoreCorruptError).toBe(true);
    await d.close?.();
  });

  it("a long id is keyed by its digest and still round-trips exactly", async () => {
    const d = await opened();
    const id = "é".repeat(1500);
    await d.commit([{ type: "put", record: record(id, { state: { id } }), expectRev: 0 }]);
    expect((await d.get(id))?.state).toEqual({ id });
    expect(await d.get("é".repeat(1499))).toBeUndefined();
    const [key] = await keysUnder("stater", "task");
    expect(key?.[2]).toBeInstanceOf(Uint8Array);
    await d.close?.();
  });
});
