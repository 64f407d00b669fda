import { it } from "vitest";
import { indexedDBDriver } from "../../drivers/indexeddb/mod.ts";
import { testDriver } from "../../src/driver.ts";

let stores = 0;

testDriver({ test: (name, fn) => it(name, fn) }, {
  name: "indexeddb",
  setup: async () => {
    const name = `conformance-${Date.now()}-${stores++}`;
    return {
      open: () => indexedDBDriver({ name }),
      cleanup: () =>
        new Promise<void>((resolve, reject) => {
          const request = indexedDB.deleteDatabase(name);
          request.onsuccess = () => resolve();
          request.onerror = () => reject(request.error);
        }),
    };
  },
  capabilities: { blobs: true, concurrentEngines: true },
});
