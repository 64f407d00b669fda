/**
 * Taking leases, in SQL. A task's lease lives in its row (`lease_token`,
 * `lease_owner`, `lease_expires`, …). One statement tries to take the
 * leases of several tasks and, for those it could not take, says who holds
 * them. A lease is free to take when
 * - nobody holds it, or it expired (by the server's clock, so the workers'
 *   clocks need not agree);
 * - its holder's session is gone from the server: the holder wrote the key
 *   of an advisory lock that its listening session holds
 *   (`lease_session`), and no session holds that lock any more. This only
 *   counts while the server runs since the lease was written
 *   (`lease_epoch`): a restart ends every session, the living ones too;
 * - its holder is a process of this host that is provably gone (the caller
 *   checks, and passes the tokens of such leases).
 *
 * @module
 */

import type { Database } from "./_pg.ts";
import { LOCK_SPACE, type Names } from "./_schema.ts";

/** What a take found for one task. */
export interface TakeRow {
  key: string;
  /** Our new lease token when taken; else the holder's (null: none). */
  token: string | null;
  taken: boolean;
  /** The holder's process, as it wrote it. */
  process?: { pid?: number; host?: string; boot?: string; start?: string } | null;
}

/** Who takes, and how. */
export interface Taker {
  owner: string;
  leaseMs: number;
  /** This driver's session key while its session holds it. */
  session: number | null;
  /** This process, as JSON, or null. */
  process: string | null;
}

/** Tries to take the leases of `keys`; a key with no row (no such task) is left out. */
export async function take(
  db: Database,
  names: Names,
  keys: string[],
  taker: Taker,
  gone: string[] = [],
): Promise<TakeRow[]> {
  const t = names.table;
  const { rows } = await db.read("take a task's lease", {
    text: `WITH live AS (
      SELECT objid::bigint AS key FROM pg_locks
      WHERE locktype = 'advisory' AND classid = $1::oid AND objsubid = 2 AND granted
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
    ), taken AS (
      UPDATE ${t} AS t SET lease_token = gen_random_uuid(), lease_owner = $2,
        lease_expires = clock_timestamp() + $3::float8 * interval '1 millisecond',
        lease_session = $4::bigint, lease_epoch = pg_postmaster_start_time(),
        lease_process = $5::jsonb
      WHERE t.id = ANY($6::text[]) AND (t.lease_token IS NULL
        OR t.lease_expires <= clock_timestamp() OR t.lease_token = ANY($7::uuid[])
        OR (t.lease_session IS NOT NULL AND t.lease_epoch = pg_postmaster_start_time()
          AND t.lease_session NOT IN (SELECT key FROM live)))
      RETURNING t.id, t.lease_token
    )
    SELECT id, lease_token::text AS token, true AS taken, NULL::jsonb AS process FROM taken
    UNION ALL
    SELECT id, lease_token::text, false, lease_process FROM ${t}
    WHERE id = ANY($6::text[]) AND id NOT IN (SELECT id FROM taken)`,
    values: [LOCK_SPACE, taker.owner, taker.leaseMs, taker.session, taker.process, keys, gone],
  });
  return rows.map((row) => ({
    key: String(row.id),
    token: row.token === null ? null : String(row.token),
    taken: row.taken === true,
    process: row.process as TakeRow["process"],
  }));
}

/** Extends the leases `keys` holds by `tokens`; the keys whose lease was still ours. */
export async function extend(
  db: Database,
  names: Names,
  leases: { key: string; token: string }[],
  leaseMs: number,
  session: number | null,
): Promise<Set<string>> {
  const { rows } = await db.read("renew task leases", {
    text: `UPDATE ${names.table} AS t SET
        lease_expires = clock_timestamp() + $1::float8 * interval '1 millisecond',
        lease_session = $2::bigint, lease_epoch = pg_postmaster_start_time()
      FROM unnest($3::text[], $4::uuid[]) AS r(id, token)
      WHERE t.id = r.id AND t.lease_token = r.token RETURNING t.id`,
    values: [leaseMs, session, leases.map((l) => l.key), leases.map((l) => l.token)],
  });
  return new Set(rows.map((row) => String(row.id)));
}

/** Frees the leases of `leases` still held by their tokens, and tells waiting engines. */
export async function free(
  db: Database,
  names: Names,
  leases: { key: string; token: string }[],
  payloads: string[],
): Promise<void> {
  await db.read("release task leases", {
    text: `WITH r AS (
      UPDATE ${names.table} AS t SET lease_token = NULL, lease_owner = NULL,
        lease_expires = NULL, lease_session = NULL, lease_epoch = NULL, lease_process = NULL
      FROM unnest($1::text[], $2::uuid[]) AS f(id, token)
      WHERE t.id = f.id AND t.lease_token = f.token RETURNING t.id
    ) SELECT count(pg_notify($3, p)) FROM unnest($4::text[]) AS p WHERE EXISTS (SELECT 1 FROM r)`,
    values: [leases.map((l) => l.key), leases.map((l) => l.token), names.channel, payloads],
  });
}
