/**
 * The postgres driver as a conformance subject: each store is a fresh
 * schema on the test cluster, dropped afterwards. Shared by the Node
 * (vitest) and Deno runs.
 */

import pg from "pg";
import { postgresDriver, type PostgresDriverOptions } from "../../drivers/postgres/mod.ts";
import type { DriverSubject } from "../../src/driver.ts";

let counter = 0;

/** A schema name no other test uses. */
export function freshSchema(): string {
  return `t_${Date.now().toString(36)}_${(counter++).toString(36)}_${
    Math.floor(Math.random() * 1e6).toString(36)
  }`;
}

/** Drops `schema` and everything in it. */
export async function dropSchema(admin: pg.Pool, schema: string): Promise<void> {
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** The subject for `testDriver`, on the server at `url`; `options` go to every driver it opens. */
export function postgresSubject(
  name: string,
  url: () => string,
  options: Omit<PostgresDriverOptions, "url" | "pool" | "schema"> = {},
): DriverSubject {
  return {
    name,
    async setup() {
      const schema = freshSchema();
      return {
        open: () => postgresDriver({ pollMs: 50, ...options, url: url(), schema }),
        async cleanup() {
          const admin = new pg.Pool({ connectionString: url(), max: 1 });
          try {
            await dropSchema(admin, schema);
          } finally {
            await admin.end();
          }
        },
      };
    },
    capabilities: { concurrentEngines: true },
  };
}
