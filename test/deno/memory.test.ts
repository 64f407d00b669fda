import { memoryDriver } from "../../drivers/memory/mod.ts";
import { testDriver } from "../../src/driver.ts";

testDriver({
  test: (name, fn) => Deno.test({ name, fn, sanitizeOps: false, sanitizeResources: false }),
}, {
  name: "memory (Deno)",
  setup: async () => {
    const driver = memoryDriver();
    return { open: () => driver };
  },
  capabilities: { concurrentEngines: true },
});
