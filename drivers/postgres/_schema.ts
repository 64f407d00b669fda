/**
 * The store's layout in Postgres, and keeping it current. The table's
 * comment names its layout version (`stater task store, layout 2`); at
 * first use the driver reads it and
 * - finds it current: nothing to do (a role without CREATE rights works);
 * - finds no table, or an older layout: applies the missing steps of
 *   {@linkcode LAYOUT} in one transaction, under an advisory lock, so that
 *   engines opening at once do it once;
 * - finds a newer layout (written by a newer stater): refuses with a
 *   `DriverError` of code `STORE_TOO_NEW`, touching nothing;
 * - finds a table of that name that is not a store: refuses (`NOT_A_STORE`).
 *
 * @module
 */

import { DriverError } from "../../src/driver.ts";
import { mapPgError, NAME } from "./_errors.ts";
import type { PgClient, PgPool } from "./_options.ts";

/** Quotes an identifier for SQL text. */
export function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A 32-bit FNV-1a hash of `text`, as a positive number. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 1) & 0x7fffffff;
}

/** The advisory lock namespace of stater (the letters "stat"). */
export const LOCK_SPACE = 0x73746174;

/** The names of one store's objects, quoted for SQL. */
export class Names {
  /** The table, schema-qualified. */
  readonly table: string;
  /** The view of held leases. */
  readonly leases: string;
  /** The status index. */
  readonly statusIndex: string;
  /** The `NOTIFY` channel. */
  readonly channel: string;
  /** The lock key that serialises setting the store up. */
  readonly setupKey: number;

  constructor(readonly schema: string, readonly tableName: string) {
    this.table = `${quote(schema)}.${quote(tableName)}`;
    this.leases = `${quote(schema)}.${quote(`${tableName}_leases`)}`;
    this.statusIndex = quote(`${tableName}_status`);
    const key = hash32(`${schema}.${tableName}`);
    this.channel = `stater_${key.toString(36)}`;
    this.setupKey = key;
  }
}

/** The layout steps, in order: step `n` brings a store from layout `n` to `n + 1`. */
export const LAYOUT: ((names: Names) => string[])[] = [
  // 1: the records, with their lease, and the index that lists by status.
  (n) => [
    `CREATE TABLE ${n.table} (
      id text PRIMARY KEY,
      status text NOT NULL,
      work text NOT NULL,
      rev bigint NOT NULL,
      created_at bigint NOT NULL,
      body bytea NOT NULL,
      written_by text NOT NULL,
      commit_id uuid,
      lease_token uuid,
      lease_owner text,
      lease_expires timestamptz,
      lease_session bigint,
      lease_epoch timestamptz,
      lease_process jsonb
    ) WITH (fillfactor = 80)`,
    `CREATE INDEX ${n.statusIndex} ON ${n.table} (status, work)`,
  ],
  // 2: who holds what, for people.
  (n) => [
    `CREATE VIEW ${n.leases} AS SELECT id, work, status, lease_owner AS owner,
      lease_process->>'host' AS host, (lease_process->>'pid')::int AS pid,
      lease_expires AS expires, lease_expires <= now() AS expired
      FROM ${n.table} WHERE lease_token IS NOT NULL`,
  ],
];

/** The layout this stater writes. */
export const CURRENT_LAYOUT = LAYOUT.length;

const COMMENT = /^stater task store, layout (\d+)$/;

/** The layout of the store's table: 0 when there is none; `undefined` for a table not a store. */
async function layoutOf(db: PgPool | PgClient, names: Names): Promise<number | undefined> {
  const { rows } = await db.query({
    text: "SELECT to_regclass($1) IS NOT NULL AS found, obj_description(to_regclass($1), " +
      "'pg_class') AS comment",
    values: [names.table],
  });
  if (!rows[0]?.found) return 0;
  const match = COMMENT.exec(String(rows[0].comment ?? ""));
  return match ? Number(match[1]) : undefined;
}

function checkLayout(layout: number | undefined, names: Names): layout is number {
  if (layout === undefined) {
    throw new DriverError(
      NAME,
      `The postgres driver found a table ${names.table} that is not a stater store (its comment ` +
        "names no stater layout): pick another table name, or move that table away",
      { code: "NOT_A_STORE" },
    );
  }
  if (layout > CURRENT_LAYOUT) {
    throw new DriverError(
      NAME,
      `The store ${names.table} has layout ${layout}, written by a newer stater; this one knows ` +
        `layouts up to ${CURRENT_LAYOUT}. Upgrade stater in this program; the store is untouched`,
      { code: "STORE_TOO_NEW" },
    );
  }
  return true;
}

/** Applies layout steps `from` (exclusive) up to `to` on `client`, inside its transaction. */
export async function applyLayout(
  client: PgClient,
  names: Names,
  from: number,
  to = CURRENT_LAYOUT,
): Promise<void> {
  if (from === 0) {
    const { rows } = await client.query({
      text: "SELECT 1 FROM pg_namespace WHERE nspname = $1",
      values: [names.schema],
    });
    if (rows.length === 0) await client.query(`CREATE SCHEMA ${quote(names.schema)}`);
  }
  for (let step = from; step < to; step++) {
    for (const statement of LAYOUT[step]!(names)) await client.query(statement);
  }
  await client.query(`COMMENT ON TABLE ${names.table} IS 'stater task store, layout ${to}'`);
}

/** Makes sure the store exists in the current layout (see the module doc). */
export async function prepareStore(pool: PgPool, names: Names, where: string): Promise<void> {
  let layout: number | undefined;
  try {
    layout = await layoutOf(pool, names);
  } catch (error) {
    throw mapPgError(error, `open the store ${names.table}`, where);
  }
  if (checkLayout(layout, names) && layout === CURRENT_LAYOUT) return;
  let client: PgClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw mapPgError(error, `open the store ${names.table}`, where);
  }
  const ignore = () => {};
  client.on("error", ignore);
  const lock = { text: "SELECT pg_advisory_lock($1, $2)", values: [LOCK_SPACE, names.setupKey] };
  try {
    // Locked before the transaction begins, so that it sees what the holder before us made.
    await client.query(lock);
    await client.query("BEGIN");
    const now = await layoutOf(client, names);
    if (checkLayout(now, names) && now < CURRENT_LAYOUT) await applyLayout(client, names, now);
    await client.query("COMMIT");
    await client.query({ ...lock, text: "SELECT pg_advisory_unlock($1, $2)" });
    client.release();
  } catch (error) {
    await client.query("ROLLBACK").catch(ignore);
    // Closed rather than given back: the session's lock goes with it.
    client.release(true);
    throw mapPgError(error, `set up the store ${names.table}`, where);
  } finally {
    client.removeListener("error", ignore);
  }
}
