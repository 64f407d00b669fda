/**
 * Quick checks of the IndexedDB driver under Node on fake-indexeddb. The
 * real judge is Chromium (test/browser); these catch mistakes in seconds.
 */
import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { createEngine, DriverError, StateNotStorableError } from "../../src/mod.ts";
import { indexedDBDriver } from "../../drivers/indexeddb/mod.ts";
import { storeError } from "../../drivers/indexeddb/_errors.ts";
import { testDriver } from "../../src/driver.ts";

let n = 0;

// Node has no Web Locks (leases stand in) and cannot structured-clone a Blob.
testDriver({ test: (name, fn) => it(name, fn) }, {
  name: "indexeddb on fake-indexeddb",
  setup: async () => {
    const name = `fake-${n++}`;
    return { open: () => indexedDBDriver({ name, leaseMs: 200 }) };
  },
  capabilities: { concurrentEngines: true },
});

describe("indexedDBDriver options and errors", () => {
  it("wrong options are refused with TypeError or RangeError", () => {
    expect(() => indexedDBDriver({ name: "" })).toThrow(TypeError);
    expect(() => indexedDBDriver({ durability: "fast" as never })).toThrow(TypeError);
    expect(() => indexedDBDriver({ durability: "fast" as never })).toThrow(
      `indexedDBDriver's durability must be "strict" or "relaxed", got "fast"`,
    );
    expect(() => indexedDBDriver({ leaseMs: 0 })).toThrow(RangeError);
    expect(() => indexedDBDriver({ indexedDB: {} as IDBFactory })).toThrow(/IDBFactory/);
  });

  it("an explicit IDBFactory is used instead of the global one", async () => {
    let opened = 0;
    const factory = {
      open: (...args: Parameters<IDBFactory["open"]>) => {
        opened++;
        return indexedDB.open(...args);
      },
    } as IDBFactory;
    const engine = await createEngine({
      driver: indexedDBDriver({ name: `factory-${n++}`, indexedDB: factory }),
      work: {},
    });
    expect(opened).toBe(1);
    await engine.close();
  });

  it("native errors map to DriverError codes that name the driver", () => {
    const quota = storeError(
      new DOMException("full", "QuotaExceededError"),
      "db",
      "commit 1 write(s)",
    );
    expect(quota).toBeInstanceOf(DriverError);
    expect(quota).toMatchObject({ code: "QUOTA_EXCEEDED", driver: "indexeddb" });
    expect(quota.message).toMatch(
      /^The indexeddb driver could not commit 1 write\(s\) in database "db": the site's storage quota is full/,
    );
    expect(storeError(new DOMException("v", "VersionError"), "db", "open the database"))
      .toMatchObject({ code: "DATABASE_VERSION" });
    expect(storeError(new DOMException("closing", "InvalidStateError"), "db", "list tasks"))
      .toMatchObject({ code: "DATABASE_CLOSED" });
    expect(storeError(new DOMException("odd", "UnknownError"), "db", "list tasks")).toMatchObject({
      code: "DRIVER_ERROR",
    });
    const typed = new StateNotStorableError("state.x", "it is a function");
    expect(storeError(typed, "db", "commit")).toBe(typed);
  });
});
