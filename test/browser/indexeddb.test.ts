import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createEngine,
  DriverError,
  StateNotStorableError,
  type WorkFunction,
} from "../../src/mod.ts";
import type { TaskRecord } from "../../src/driver.ts";
import { indexedDBDriver } from "../../drivers/indexeddb/mod.ts";
import { openDatabase, VERSION } from "../../drivers/indexeddb/_database.ts";
import { databases, deferred, deleteDatabase, eventually } from "./_util.ts";

const { name, dropAll } = databases("idb");
afterEach(async () => {
  vi.restoreAllMocks();
  await dropAll();
});

function record(id: string, patch: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id,
    work: "w",
    status: "pending",
    state: null,
    step: 0,
    rev: 1,
    createdAt: 1,
    updatedAt: 1,
    ...patch,
  };
}
const ctx = {
  owner: "test",
  report: (error: unknown) => {
    throw error;
  },
};

describe("indexedDBDriver in Chromium", () => {
  it("a task whose state holds a File and a Blob finishes after a restart with both intact", async () => {
    const db = name();
    const gate = deferred();
    type S = { files: File[]; sizes: number[] };
    const upload: WorkFunction<S, number[]> = async (s, c) => {
      if (s.sizes.length === 1) await gate.promise;
      if (c.signal.aborted) return s;
      const file = s.files[s.sizes.length];
      return file ? { ...s, sizes: [...s.sizes, (await file.text()).length] } : c.done(s.sizes);
    };
    const files = [
      new File(["aaa"], "a.txt"),
      new File(["bbbbb"], "b.txt"),
      new Blob(["cc"]) as File,
    ];
    const first = await createEngine({
      driver: indexedDBDriver({ name: db }),
      work: { upload },
      closeTimeoutMs: 10,
    });
    const task = await first.create("upload", { files, sizes: [] }, { id: "up" });
    await eventually(() => task.step === 1, 5000, "the first file");
    await first.close();
    gate.resolve();
    const second = await createEngine({ driver: indexedDBDriver({ name: db }), work: { upload } });
    const again = await second.get("up");
    expect(await again!.result()).toEqual([3, 5, 2]);
    const info = (await second.list({ status: "done" }))[0]!;
    const stored = (info.state as S).files;
    expect(stored[0]).toBeInstanceOf(File);
    expect(stored[1]!.name).toBe("b.txt");
    expect(await stored[2]!.text()).toBe("cc");
    await second.close();
  });

  it("a record that structured clone refuses fails only its own write, naming the path", async () => {
    const d = indexedDBDriver({ name: name() });
    await d.open!(ctx);
    const results = await d.commit([
      { type: "put", record: record("a"), expectRev: 0 },
      { type: "put", record: record("b", { state: { deep: { fn: () => 1 } } }), expectRev: 0 },
      { type: "put", record: record("c"), expectRev: 0 },
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    const error = results[1]!.ok ? undefined : results[1]!.error;
    expect(error).toBeInstanceOf(StateNotStorableError);
    expect((error as StateNotStorableError).path).toBe("state.deep.fn");
    expect(await d.get("b")).toBeUndefined();
    expect((await d.list()).map((r) => r.id).sort()).toEqual(["a", "c"]);
    await d.close!();
  });

  it("a conflicting write in a batch leaves the stored record exactly as it was, index included", async () => {
    const d = indexedDBDriver({ name: name() });
    await d.open!(ctx);
    await d.commit([{
      type: "put",
      record: record("a", { status: "paused", state: { keep: 1 } }),
      expectRev: 0,
    }]);
    const results = await d.commit([
      {
        type: "put",
        record: record("a", { rev: 8, status: "running", state: { lost: true } }),
        expectRev: 7,
      },
      { type: "put", record: record("b"), expectRev: 0 },
      { type: "put", record: record("c", { rev: 2 }), expectRev: 1 },
    ]);
    expect(results).toEqual([{ ok: false, conflict: true }, { ok: true }, {
      ok: false,
      conflict: true,
    }]);
    expect(await d.get("a")).toEqual(record("a", { status: "paused", state: { keep: 1 } }));
    expect(await d.get("c")).toBeUndefined();
    expect((await d.list({ status: ["running"] })).map((r) => r.id)).toEqual([]);
    expect((await d.list({ status: ["paused"] })).map((r) => r.id)).toEqual(["a"]);
    await d.close!();
  });

  it("commits use the strict durability hint by default and relaxed on request", async () => {
    const seen: unknown[] = [];
    const original = IDBDatabase.prototype.transaction;
    vi.spyOn(IDBDatabase.prototype, "transaction").mockImplementation(
      function (this: IDBDatabase, ...args: Parameters<typeof original>) {
        if (args[1] === "readwrite") seen.push(args[2]?.durability);
        return original.apply(this, args);
      },
    );
    for (const durability of [undefined, "relaxed"] as const) {
      const d = indexedDBDriver({ name: name(), durability });
      await d.open!(ctx);
      await d.commit([{ type: "put", record: record("a"), expectRev: 0 }]);
      await d.close!();
    }
    expect(seen).toEqual(["strict", "relaxed"]);
  });

  it("all writes of one batch go into one transaction", async () => {
    const d = indexedDBDriver({ name: name() });
    await d.open!(ctx);
    const spy = vi.spyOn(IDBDatabase.prototype, "transaction");
    const writes = Array.from(
      { length: 50 },
      (_, i) => ({ type: "put" as const, record: record(`t${i}`), expectRev: 0 }),
    );
    const results = await d.commit(writes);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(spy).toHaveBeenCalledTimes(1);
    await d.close!();
  });

  it("list({ status }) reads only those statuses, through the status index", async () => {
    const d = indexedDBDriver({ name: name() });
    await d.open!(ctx);
    const writes = Array.from({ length: 40 }, (_, i) => ({
      type: "put" as const,
      record: record(`t${i}`, i < 3 ? { status: "running" } : { status: "done", result: i }),
      expectRev: 0,
    }));
    await d.commit(writes);
    const storeGetAll = vi.spyOn(IDBObjectStore.prototype, "getAll");
    const indexGetAll = vi.spyOn(IDBIndex.prototype, "getAll");
    const active = await d.list({ status: ["pending", "running"] });
    expect(active.map((r) => r.id).sort()).toEqual(["t0", "t1", "t2"]);
    expect(storeGetAll).not.toHaveBeenCalled();
    expect(indexGetAll.mock.calls.map((c) => c[0])).toEqual(["pending", "running"]);
    await d.close!();
  });

  it("a database deleted by another tab pauses the task with a typed error and keeps the last commit", async () => {
    const db = name();
    const slow: WorkFunction<{ n: number }> = async (s) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { n: s.n + 1 };
    };
    const engine = await createEngine({ driver: indexedDBDriver({ name: db }), work: { slow } });
    const errors: unknown[] = [];
    engine.on("error", (e) => errors.push(e.error));
    const task = await engine.create("slow", { n: 0 });
    await eventually(() => task.step >= 3, 5000, "three steps");
    await deleteDatabase(db); // not blocked: the driver lets go at once
    await eventually(() => task.status === "paused", 5000, "the task to pause");
    const error = errors.find((e) => e instanceof DriverError) as DriverError;
    expect(error.code).toBe("DATABASE_CLOSED");
    expect(error.message).toContain("indexeddb driver");
    await expect(engine.list()).rejects.toMatchObject({ code: "DATABASE_CLOSED" });
    await engine.close();
  });

  it("a database of the same name that stater did not make is refused with a typed error", async () => {
    const db = name();
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.open(db, 1);
      request.onupgradeneeded = () => request.result.createObjectStore("other");
      request.onsuccess = () => (request.result.close(), resolve());
      request.onerror = () => reject(request.error);
    });
    await expect(createEngine({ driver: indexedDBDriver({ name: db }), work: {} })).rejects
      .toMatchObject({
        name: "DriverError",
        code: "DATABASE_FOREIGN",
      });
  });

  it("an upgrade blocked by another tab's old connection, and a database from a newer stater, get typed errors", async () => {
    const db = name();
    const first = await createEngine({ driver: indexedDBDriver({ name: db }), work: {} });
    await first.close();
    // Another tab keeps version 1 open and does not let go when asked to.
    const old = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(db, VERSION);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    old.onversionchange = () => {};
    // A later schema's upgrade is blocked by that tab.
    await expect(openDatabase(indexedDB, db, () => {}, VERSION + 1)).rejects.toMatchObject({
      name: "DriverError",
      code: "DATABASE_BLOCKED",
    });
    old.close();
    // Once it lets go, the upgrade goes through; this stater then finds a database newer than it knows.
    await eventually(
      async () =>
        (await indexedDB.databases()).some((d) => d.name === db && d.version === VERSION + 1),
      5000,
      "the upgrade",
    );
    await expect(createEngine({ driver: indexedDBDriver({ name: db }), work: {} })).rejects
      .toMatchObject({
        name: "DriverError",
        code: "DATABASE_VERSION",
      });
  });
});
