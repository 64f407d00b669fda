/**
 * The one statement that applies a commit batch: the net write of each
 * task as a compare-and-set on `rev`, all in one round trip and one
 * transaction (a statement outside `BEGIN` is one), with the batch's
 * notifications sent by the same transaction, so that other engines hear
 * of a commit only once it is durable.
 *
 * - insert: the row must not exist (`ON CONFLICT DO NOTHING`);
 * - update: the row's `rev` must be the expected one and, when this driver
 *   holds the task's lease, the lease must still be ours (`lease_token`),
 *   so a worker that lost its lease can never commit. Such an update also
 *   extends the lease;
 * - delete: the row's `rev` must be the expected one;
 * - check: writes nothing, proves the row's `rev` (0: absent).
 *
 * Every row written records the batch's `commit_id`, so that a batch whose
 * connection broke can be read back to learn whether it landed.
 *
 * @module
 */

import { hash32, type Names } from "./_schema.ts";
import type { PgQuery } from "./_options.ts";

/** The net write of one task. */
export type Op =
  | {
    kind: "insert";
    key: string;
    status: string;
    work: string;
    rev: number;
    createdAt: number;
    body: Uint8Array;
  }
  | {
    kind: "update";
    key: string;
    expect: number;
    fence: string | undefined;
    status: string;
    rev: number;
    body: Uint8Array;
  }
  | { kind: "delete"; key: string; expect: number }
  | { kind: "check"; key: string; expect: number };

/** What the statement needs besides the ops. */
export interface BatchContext {
  owner: string;
  commitId: string;
  leaseMs: number;
  /** This driver's session key, while its session holds it. */
  session: number | null;
  /** Notification payloads, sent in order. */
  payloads: string[];
}

function only<K extends Op["kind"]>(ops: Op[], kind: K): Extract<Op, { kind: K }>[] {
  return ops.filter((op): op is Extract<Op, { kind: K }> => op.kind === kind);
}

/** Batches up to this many rows of one kind are sent as VALUES (binary bytea), larger as arrays. */
export const VALUES_MAX = 16;

/** The statement for `ops`; its rows are the keys of the ops that applied. */
export function batchStatement(
  names: Names,
  ops: Op[],
  context: BatchContext,
  prepare: boolean,
): PgQuery {
  const values: unknown[] = [];
  const $ = (value: unknown, type: string) => {
    values.push(value);
    return `$${values.length}::${type}`;
  };
  /** `items` as a row source `alias(columns)`: VALUES for a few, unnest of arrays for many. */
  const source = (alias: string, columns: [string, string][], items: unknown[][]) => {
    const names = columns.map(([name]) => name).join(", ");
    if (items.length <= VALUES_MAX) {
      const rows = items.map((item) => `(${item.map((v, i) => $(v, columns[i]![1])).join(", ")})`);
      return `(VALUES ${rows.join(", ")}) AS ${alias}(${names})`;
    }
    const arrays = columns.map(([, type], i) => $(items.map((item) => item[i]), `${type}[]`));
    return `unnest(${arrays.join(", ")}) AS ${alias}(${names})`;
  };
  const parts: { name: string; sql: string }[] = [];
  let who: string | undefined;
  let batch: string | undefined;
  const owner = () => (who ??= $(context.owner, "text"));
  const commitId = () => (batch ??= $(context.commitId, "uuid"));
  const t = names.table;
  const inserts = only(ops, "insert");
  if (inserts.length > 0) {
    const from = source("i", [
      ["id", "text"],
      ["status", "text"],
      ["work", "text"],
      ["rev", "bigint"],
      ["created", "bigint"],
      ["body", "bytea"],
    ], inserts.map((o) => [o.key, o.status, o.work, o.rev, o.createdAt, o.body]));
    parts.push({
      name: "ins",
      sql: `INSERT INTO ${t} (id, status, work, rev, created_at, body, written_by, commit_id)
      SELECT i.id, i.status, i.work, i.rev, i.created, i.body, ${owner()}, ${commitId()}
      FROM ${from} ON CONFLICT (id) DO NOTHING RETURNING id`,
    });
  }
  const updates = only(ops, "update");
  if (updates.length > 0) {
    const fenced = "u.fence IS NOT NULL";
    const from = source("u", [
      ["id", "text"],
      ["expect", "bigint"],
      ["fence", "uuid"],
      ["status", "text"],
      ["rev", "bigint"],
      ["body", "bytea"],
    ], updates.map((o) => [o.key, o.expect, o.fence ?? null, o.status, o.rev, o.body]));
    parts.push({
      name: "upd",
      sql: `UPDATE ${t} AS t SET status = u.status, rev = u.rev, body = u.body,
        written_by = ${owner()}, commit_id = ${commitId()},
        lease_expires = CASE WHEN ${fenced} THEN clock_timestamp() + ${
        $(context.leaseMs, "float8")
      } * interval '1 millisecond' ELSE t.lease_expires END,
        lease_session = CASE WHEN ${fenced} THEN ${
        $(context.session, "bigint")
      } ELSE t.lease_session END,
        lease_epoch = CASE WHEN ${fenced} THEN pg_postmaster_start_time() ELSE t.lease_epoch END
      FROM ${from}
      WHERE t.id = u.id AND t.rev = u.expect AND (u.fence IS NULL OR t.lease_token = u.fence)
      RETURNING t.id`,
    });
  }
  const deletes = only(ops, "delete");
  if (deletes.length > 0) {
    const from = source(
      "d",
      [["id", "text"], ["expect", "bigint"]],
      deletes.map((o) => [o.key, o.expect]),
    );
    parts.push({
      name: "del",
      sql: `DELETE FROM ${t} AS t USING ${from}
      WHERE t.id = d.id AND t.rev = d.expect RETURNING t.id`,
    });
  }
  const checks = only(ops, "check");
  if (checks.length > 0) {
    const from = source(
      "c",
      [["id", "text"], ["expect", "bigint"]],
      checks.map((o) => [o.key, o.expect]),
    );
    parts.push({
      name: "chk",
      sql: `SELECT c.id FROM ${from}
      WHERE c.expect = COALESCE((SELECT rev FROM ${t} WHERE id = c.id), 0)`,
    });
  }
  const selects = parts.map((part) => `SELECT id FROM ${part.name}`);
  if (context.payloads.length > 0) {
    parts.push({
      name: "note",
      sql: `SELECT count(pg_notify(${$(names.channel, "text")}, p)) AS n
      FROM unnest(${$(context.payloads, "text[]")}) AS p`,
    });
    // Referenced, so that it runs; it yields no row.
    selects.push("SELECT NULL FROM note WHERE n < 0");
  }
  // One write alone goes as it is (the common case: the steps of running tasks), else as CTEs.
  const text = parts.length === 0
    ? "SELECT NULL::text AS id WHERE false"
    : parts.length === 1
    ? parts[0]!.sql
    : `WITH ${parts.map((part) => `${part.name} AS (${part.sql})`).join(",\n")}\n${
      selects.join(" UNION ALL ")
    }`;
  return prepare ? { text, values, name: `stater_${hash32(text).toString(36)}` } : { text, values };
}
