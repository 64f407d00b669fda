import { expect, it } from "vitest";
import { createEngine } from "../../src/mod.ts";
import { indexedDBDriver } from "../../drivers/indexeddb/mod.ts";

it("importing and creating the driver touch no global; opening it without IndexedDB says what to do", async () => {
  expect((globalThis as { indexedDB?: unknown }).indexedDB).toBeUndefined();
  const driver = indexedDBDriver({ name: "nowhere" });
  expect(driver.name).toBe("indexeddb");
  await expect(createEngine({ driver, work: {} })).rejects.toMatchObject({
    name: "DriverError",
    code: "UNSUPPORTED",
    message: expect.stringMatching(/pass an IDBFactory as indexedDBDriver\(\{ indexedDB \}\)/),
  });
});

it("a passed IDBFactory without IndexedDB's global classes is refused with advice", async () => {
  const { indexedDB } = await import("fake-indexeddb");
  await expect(createEngine({ driver: indexedDBDriver({ name: "bare", indexedDB }), work: {} }))
    .rejects.toMatchObject({
      code: "UNSUPPORTED",
      message: expect.stringContaining('import "fake-indexeddb/auto"'),
    });
});
