import { startCluster } from "../postgres/_cluster.ts";
import { postgresSubject } from "../postgres/_subject.ts";
import { testDriver } from "../../src/driver.ts";

// One throwaway cluster for this file: the suite's tests run as steps of one
// test, so that the cluster stops afterwards even when some of them fail.
Deno.test({
  name: "postgres (Deno, pg)",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const cluster = await startCluster();
    try {
      const tests: { name: string; fn: () => Promise<void> }[] = [];
      const collect = { test: (name: string, fn: () => Promise<void>) => tests.push({ name, fn }) };
      testDriver(collect, postgresSubject("postgres (Deno, pg)", () => cluster.url));
      testDriver(
        collect,
        postgresSubject("postgres without LISTEN (Deno, pg)", () => cluster.url, { listen: false }),
      );
      for (const { name, fn } of tests) {
        await t.step({ name, fn, sanitizeOps: false, sanitizeResources: false });
      }
    } finally {
      await cluster.stop();
    }
  },
});
