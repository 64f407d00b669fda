/**
 * The options of `postgresDriver`, and the small part of `pg` (node-postgres)
 * the driver uses, typed here so that the driver type-checks without `pg`'s
 * types and a user's `pg.Pool` fits as it is.
 *
 * @module
 */

/** A query's result, as `pg` returns it. */
export interface PgResult {
  /** The rows, one object per row, keyed by column name. */
  rows: Record<string, unknown>[];
  /** How many rows the statement touched. */
  rowCount: number | null;
}

/** A query as `pg` takes it: text, parameters and, for a prepared statement, a name. */
export interface PgQuery {
  /** The SQL text, with `$1`, `$2`, … for the values. */
  text: string;
  /** The parameter values. */
  values?: unknown[];
  /** A statement name: `pg` prepares it once per connection. */
  name?: string;
}

/** A notification heard on a `LISTEN`ing connection. */
export interface PgNotification {
  /** The channel it was sent on. */
  channel: string;
  /** Its payload text. */
  payload?: string;
}

/** An event listener, typed as `pg`'s (an `EventEmitter`'s) are. */
// deno-lint-ignore no-explicit-any
export type Listener = (...args: any[]) => void;

/** One connection, checked out of a pool (`pg.PoolClient`). */
export interface PgClient {
  /** Runs one statement. */
  query(query: PgQuery | string): Promise<PgResult>;
  /** Gives the connection back; `true` (or an error) closes it instead. */
  release(destroy?: boolean | Error): void;
  /** Listens for `"notification"`, `"error"` and `"end"`. */
  on(event: string, listener: Listener): unknown;
  /** Stops listening. */
  removeListener(event: string, listener: Listener): unknown;
}

/** A connection pool: a `pg.Pool`, or anything with the same members. */
export interface PgPool {
  /** Runs one statement on any free connection. */
  query(query: PgQuery | string): Promise<PgResult>;
  /** Checks a connection out, to hold it (the driver's listening connection). */
  connect(): Promise<PgClient>;
  /** Listens for `"error"` (a broken idle connection). */
  on(event: "error", listener: (error: Error) => void): unknown;
  /** Stops listening. */
  removeListener(event: "error", listener: (error: Error) => void): unknown;
  /** Closes every connection. */
  end(): Promise<void>;
}

/** Where `postgresDriver` keeps records, and how it shares them. */
export interface PostgresDriverOptions {
  /**
   * The server, as a connection URL such as
   * `postgres://user:password@db.example.com:5432/app`. The driver makes a
   * `pg.Pool` for it at first use and closes it when the engine closes.
   * When neither `url` nor `pool` is given, the `DATABASE_URL` environment
   * variable is read at first use.
   */
  url?: string;
  /**
   * A `pg.Pool` the program already has, used instead of `url`. The engine
   * does not close it; the driver holds one of its connections while open
   * (for `LISTEN`), so give it room for one more.
   */
  pool?: PgPool;
  /** The same as `pool`, by the name the API's overview gives the user's client. */
  sql?: PgPool;
  /**
   * The schema of the driver's table, created if missing.
   *
   * @default "public"
   */
  schema?: string;
  /**
   * The table that holds the task records, created with its index on first
   * use. Several stores may share a schema under different table names.
   *
   * @default "stater_tasks"
   */
  table?: string;
  /**
   * Whether to hear other engines at once through `LISTEN`/`NOTIFY` on a
   * connection of its own. Set it to `false` behind a pooler in
   * transaction mode (PgBouncer, Supavisor), where `LISTEN` does not work:
   * the driver then polls every `pollMs`.
   *
   * @default true
   */
  listen?: boolean;
  /**
   * How long a lease on a task lasts, in ms, without renewal: a worker that
   * vanishes without its session ending (a machine that lost power) delays
   * its tasks this long before another takes them over.
   *
   * @default 30000
   */
  leaseMs?: number;
  /**
   * How often the engine renews the leases it holds, in ms; less than `leaseMs`.
   *
   * @default 10000 (a third of `leaseMs` when that is less)
   */
  renewEveryMs?: number;
  /**
   * How often, in ms, a waiting engine looks whether a task's lease is
   * free (expired, or its holder's session is gone); without `listen`,
   * also how often it looks for other engines' commits.
   *
   * @default 250
   */
  pollMs?: number;
  /**
   * How long, in ms, the driver keeps trying to reach a server that went
   * away (a restart, a failover) before a commit or a read fails. A commit
   * cut off mid-way is read back to learn whether it landed.
   *
   * @default 30000
   */
  reconnectForMs?: number;
  /**
   * The most connections of the pool that the driver makes from `url`.
   *
   * @default 10
   */
  poolSize?: number;
}
