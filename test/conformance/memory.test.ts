import { it } from "vitest";
import { memoryDriver } from "../../drivers/memory/mod.ts";
import { testDriver } from "../../src/driver.ts";

testDriver({ test: (name, fn) => it(name, fn) }, {
  name: "memory",
  setup: async () => {
    const driver = memoryDriver();
    return { open: () => driver };
  },
  capabilities: { concurrentEngines: true },
});
