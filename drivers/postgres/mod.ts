/**
 * `postgresDriver({ url } | { pool })` (`{ sql }` is `pool` by another name):
 * task records in a Postgres table, shared by many workers on many machines, on Node and on Deno, through
 * `pg` (node-postgres, an optional peer dependency imported at first use).
 *
 * - A commit batch is one statement, so one transaction and one round trip:
 *   each task's write is a compare-and-set on its revision, and writes of
 *   many tasks go together (group commit).
 * - Records are stored as the core codec's bytes (`bytea`), so Node and
 *   Deno read each other's rows.
 * - Each task is stepped by the worker holding its lease (a token, an
 *   owner and an expiry in the task's row, by the server's clock). A
 *   worker's commits are fenced by its token, so a worker that lost its
 *   lease can never commit. A lease whose holder's session is gone from the
 *   server, or whose holder was a process of this host that is gone, is
 *   taken over at once; others once they expire.
 * - Other workers hear of commits, progress, messages and freed leases at
 *   once through `LISTEN`/`NOTIFY`, or by polling with `listen: false`
 *   (behind a pooler in transaction mode).
 * - An index on the status keeps opening O(active tasks) however many
 *   finished ones the table holds.
 *
 * @example
 * ```ts ignore
 * import { createEngine } from "stater";
 * import { postgresDriver } from "stater/drivers/postgres";
 *
 * const engine = await createEngine({
 *   driver: postgresDriver({ url: "postgres://app@db.internal/app" }),
 *   work: { count: (s: { n: number }, ctx) => (s.n >= 3 ? ctx.done(s.n) : { n: s.n + 1 }) },
 * });
 * const task = await engine.create("count", { n: 0 }, { id: "count-1" });
 * console.log(await task.result()); // 3
 * await engine.close();
 * ```
 *
 * @module
 */

import type { Driver } from "../../src/driver.ts";
import { createPostgresDriver } from "./_driver.ts";
import type { PostgresDriverOptions } from "./_options.ts";

export type {
  PgClient,
  PgNotification,
  PgPool,
  PgQuery,
  PgResult,
  PostgresDriverOptions,
} from "./_options.ts";

/**
 * A driver that keeps task records in a Postgres table. Nothing is
 * imported, connected or created until an engine opens it; then it makes
 * its table and index if they are missing.
 *
 * @throws {TypeError} when both `url` and `pool` are given, or an option has the wrong type.
 * @throws {RangeError} when a duration is not positive, `renewEveryMs` is not less than
 * `leaseMs`, or a name is too long for Postgres.
 */
export function postgresDriver(options: PostgresDriverOptions = {}): Driver {
  return createPostgresDriver(options);
}
