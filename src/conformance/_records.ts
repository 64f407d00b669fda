/**
 * The conformance tests of the driver contract itself: records, commits,
 * lists, checks, copies and reopening.
 *
 * @module
 */

import type { Driver, TaskRecord } from "../contract.ts";
import { StateNotStorableError } from "../errors.ts";
import { assert, assertEquals } from "./_assert.ts";
import type { Capabilities, StoreUnderTest, SuiteTest } from "./_types.ts";

/** A record with defaults for what `patch` leaves out. */
export function record(id: string, patch: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id,
    work: "w",
    status: "pending",
    state: { n: 0 },
    step: 0,
    rev: 1,
    createdAt: 1,
    updatedAt: 1,
    ...patch,
  };
}

async function opened(store: StoreUnderTest): Promise<Driver> {
  const driver = await store.open();
  await driver.open?.({
    owner: "suite",
    report: (error) => {
      throw error;
    },
  });
  return driver;
}

/** Registers the record tests. */
export function recordTests(it: SuiteTest, caps: Capabilities): void {
  it("get() of a missing id is undefined", async (store) => {
    const d = await opened(store);
    assertEquals(await d.get("nope"), undefined);
    await d.close?.();
  });

  it("a put with expectRev 0 creates the record, and get() returns it whole", async (store) => {
    const d = await opened(store);
    const r = record("a", { progress: { done: 1, total: 2 } });
    assertEquals(await d.commit([{ type: "put", record: r, expectRev: 0 }]), [{ ok: true }]);
    assertEquals(await d.get("a"), r);
    await d.close?.();
  });

  it("commit is compare-and-set on the revision", async (store) => {
    const d = await opened(store);
    await d.commit([{ type: "put", record: record("a"), expectRev: 0 }]);
    const [again] = await d.commit([{ type: "put", record: record("a"), expectRev: 0 }]);
    assert(again && !again.ok && again.conflict, "a second create conflicts");
    const [stale] = await d.commit([{
      type: "put",
      record: record("a", { rev: 3, step: 9 }),
      expectRev: 2,
    }]);
    assert(stale && !stale.ok && stale.conflict, "a stale revision conflicts");
    assertEquals(
      await d.commit([{ type: "put", record: record("a", { rev: 2, step: 1 }), expectRev: 1 }]),
      [{ ok: true }],
    );
    assertEquals((await d.get("a"))?.step, 1);
    assertEquals((await d.get("a"))?.rev, 2);
    await d.close?.();
  });

  it("writes of a batch apply in order, and a conflict fails only its own write", async (store) => {
    const d = await opened(store);
    const results = await d.commit([
      { type: "put", record: record("a"), expectRev: 0 },
      { type: "put", record: record("a", { rev: 2, status: "running" }), expectRev: 1 },
      { type: "put", record: record("b", { rev: 5 }), expectRev: 4 },
      { type: "put", record: record("c"), expectRev: 0 },
    ]);
    assertEquals(results.map((r) => r.ok), [true, true, false, true]);
    assertEquals((await d.get("a"))?.status, "running");
    assertEquals(await d.get("b"), undefined);
    assertEquals((await d.get("c"))?.rev, 1);
    await d.close?.();
  });

  it("delete removes a record, checking the revision when given", async (store) => {
    const d = await opened(store);
    await d.commit([{ type: "put", record: record("a"), expectRev: 0 }, {
      type: "put",
      record: record("b"),
      expectRev: 0,
    }]);
    const [stale] = await d.commit([{ type: "delete", id: "a", expectRev: 7 }]);
    assert(stale && !stale.ok && stale.conflict, "a stale delete conflicts");
    assertEquals(
      await d.commit([{ type: "delete", id: "a", expectRev: 1 }, { type: "delete", id: "b" }]),
      [{ ok: true }, { ok: true }],
    );
    assertEquals(await d.get("a"), undefined);
    assertEquals(await d.get("b"), undefined);
    assertEquals(await d.list(), []);
    await d.close?.();
  });

  it("list() filters by status and by work", async (store) => {
    const d = await opened(store);
    await d.commit([
      { type: "put", record: record("p", { status: "pending" }), expectRev: 0 },
      { type: "put", record: record("r", { status: "running", work: "x" }), expectRev: 0 },
      { type: "put", record: record("d", { status: "done", result: 1 }), expectRev: 0 },
      {
        type: "put",
        record: record("f", { status: "failed", error: { name: "Error", message: "boom" } }),
        expectRev: 0,
      },
    ]);
    const ids = async (q?: Parameters<Driver["list"]>[0]) =>
      (await d.list(q)).map((r) => r.id).sort();
    assertEquals(await ids(), ["d", "f", "p", "r"]);
    assertEquals(await ids({ status: ["pending", "running"] }), ["p", "r"]);
    assertEquals(await ids({ status: ["done"] }), ["d"]);
    assertEquals(await ids({ work: "x" }), ["r"]);
    assertEquals(await ids({ status: ["pending"], work: "x" }), []);
    assertEquals((await d.list({ status: ["failed"] }))[0]?.error, {
      name: "Error",
      message: "boom",
    });
    await d.close?.();
  });

  it("every storable kind of value round-trips", async (store) => {
    const d = await opened(store);
    const proto = JSON.parse('{"__proto__": {"polluted": true}}');
    const state = {
      text: "héllo ✓ \u0000",
      num: 1.5,
      neg0: -0,
      nan: NaN,
      inf: -Infinity,
      big: 12345678901234567890n,
      nil: null,
      undef: undefined,
      yes: true,
      when: new Date(1_700_000_000_000),
      map: new Map<unknown, unknown>([["k", 1], [2, new Set([3])]]),
      set: new Set(["a", "b"]),
      bytes: new Uint8Array([0, 1, 254, 255]),
      buffer: new Uint8Array([9, 8, 7]).buffer,
      nested: [{ "~": "looks like a tag", deep: [[undefined]] }],
      proto,
    };
    await d.commit([{
      type: "put",
      record: record("v", { state, result: undefined }),
      expectRev: 0,
    }]);
    const back = await d.get("v");
    assertEquals(back?.state, state);
    const p = (back?.state as { proto: object }).proto;
    assertEquals(Object.getPrototypeOf(p), Object.prototype, "__proto__ stays plain data");
    assertEquals(({} as { polluted?: boolean }).polluted, undefined, "no prototype pollution");
    await d.close?.();
  });

  it("check() refuses what cannot be stored, naming the path", async (store) => {
    const d = await opened(store);
    if (!d.check) {
      throw new Error(
        "The driver has no check(): every stater driver must refuse unstorable states early",
      );
    }
    class Handle {}
    const bad: [unknown, string][] = [
      [{ files: [{}, {}, {}, { handle: new Handle() }] }, "state.files[3].handle"],
      [{ f: () => 1 }, "state.f"],
      [{ s: Symbol("x") }, "state.s"],
      [{ m: new Map([["k", { fn: () => 0 }]]) }, 'state.m.get("k").fn'],
    ];
    for (const [value, path] of bad) {
      let error: unknown;
      try {
        d.check(value, "state");
      } catch (e) {
        error = e;
      }
      assert(error instanceof StateNotStorableError, `refuses ${path}`);
      assertEquals((error as StateNotStorableError).path, path);
    }
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    let error: unknown;
    try {
      d.check(cycle, "state");
    } catch (e) {
      error = e;
    }
    assert(error instanceof StateNotStorableError, "refuses a cycle");
    d.check(
      { ok: [1, "2", null, new Date(0), new Map(), new Set(), 1n, new Uint8Array(1)] },
      "state",
    );
    await d.close?.();
  });

  const copies = "a record is a copy: mutating it after commit or get changes nothing stored";
  it(copies, async (store) => {
    const d = await opened(store);
    const state = { list: [1, 2], inner: { x: 1 } };
    const r = record("a", { state });
    await d.commit([{ type: "put", record: r, expectRev: 0 }]);
    state.list.push(3);
    state.inner.x = 99;
    const got = await d.get("a");
    assertEquals(got?.state, { list: [1, 2], inner: { x: 1 } });
    (got!.state as { list: number[] }).list.push(4);
    assertEquals((await d.get("a"))?.state, { list: [1, 2], inner: { x: 1 } });
    await d.close?.();
  });

  it("hostile ids round-trip exactly", async (store) => {
    const d = await opened(store);
    const ids = [
      "../x",
      "/etc/x",
      "con",
      "a".repeat(2000),
      "nul\u0000byte",
      "emoji 🧪✨",
      "..",
      ".",
      "a/b\\c",
      "CON.txt",
      " ",
    ];
    await d.commit(
      ids.map((id) => ({ type: "put", record: record(id, { state: { id } }), expectRev: 0 })),
    );
    for (const id of ids) {
      assertEquals((await d.get(id))?.state, { id }, `id ${JSON.stringify(id.slice(0, 20))}`);
    }
    assertEquals((await d.list()).map((r) => r.id).sort(), [...ids].sort());
    await d.close?.();
  });

  it("records survive closing and opening the store again", async (store) => {
    const d = await opened(store);
    await d.commit([{
      type: "put",
      record: record("a", { state: { when: new Date(5) } }),
      expectRev: 0,
    }]);
    await d.commit([{
      type: "put",
      record: record("a", { rev: 2, status: "done", result: [1n] }),
      expectRev: 1,
    }]);
    await d.close?.();
    const again = await opened(store);
    const back = await again.get("a");
    assertEquals(back?.rev, 2);
    assertEquals(back?.status, "done");
    assertEquals(back?.result, [1n]);
    await again.close?.();
  });

  if (caps.blobs) {
    it("Blob and File in a state round-trip", async (store) => {
      const d = await opened(store);
      const file = new File(["file body"], "a.txt", { type: "text/plain" });
      d.check?.({ file }, "state");
      await d.commit([{
        type: "put",
        record: record("b", { state: { file, blob: new Blob(["xyz"]) } }),
        expectRev: 0,
      }]);
      const back = (await d.get("b"))?.state as { file: File; blob: Blob };
      assertEquals(back.file.name, "a.txt");
      assertEquals(await back.file.text(), "file body");
      assertEquals(await back.blob.text(), "xyz");
      await d.close?.();
    });
  }
}
