/**
 * Group commit. The writes of a batch are grouped by task; each task's
 * writes are judged in order against the revision the task is believed to
 * have (the first write's `expectRev`; read first when it has none), and
 * folded into one net write, a compare-and-set on that revision
 * (`_batch_sql.ts`). All of them go in one statement. A net write that did
 * not apply was judged on a wrong belief: the task is read again and judged
 * against what is stored, for up to {@linkcode ROUNDS} rounds.
 *
 * When the connection breaks mid-statement, the outcome is unknown: the
 * driver waits for the server (up to `reconnectForMs`), reads the rows
 * back, and a row that carries the batch's `commit_id` is known to have
 * landed; the others are judged again. Nothing is guessed.
 *
 * @module
 */

import {
  DriverError,
  randomId,
  type TaskRecord,
  type Write,
  writeId,
  type WriteResult,
} from "../../src/driver.ts";
import { type BatchContext, batchStatement, type Op } from "./_batch_sql.ts";
import { isConnectionLoss, isTransient, mapPgError, NAME, outcomeUnknown } from "./_errors.ts";
import { type Database, pause } from "./_pg.ts";
import { bodyOf, keysOf } from "./_record.ts";
import type { Names } from "./_schema.ts";

const ROUNDS = 25;

interface Unit {
  id: string;
  key: string;
  writes: number[];
  /** The stored revision, as believed or as read (`read`); 0: absent. */
  believed?: number;
  read: boolean;
  /** The lease token held on it, when it was read. */
  token?: string | null;
  outcome: Map<number, WriteResult>;
  op?: Op;
  /** The status it ends in, when it ends stored. */
  status?: string;
}

/** What a commit needs from the rest of the driver. */
export interface CommitContext {
  db: Database;
  names: Names;
  owner: string;
  leaseMs: number;
  prepare: boolean;
  /** The token of the lease this driver holds on `key`, if any. */
  fence(key: string): string | undefined;
  /** A fenced write found the lease taken: the lease on `key` is lost. */
  lost(key: string): void;
  /** A fenced write applied: the lease on `key` was extended. */
  extended(key: string): void;
  /** The session key to write into extended leases. */
  session(): number | null;
  /** The notifications to send with this batch, given the units that end stored. */
  payloads(stored: { key: string; status: string }[], deleted: string[]): string[];
  /** Puts back notifications of a batch that did not land. */
  restore(payloads: string[]): void;
}

function plan(
  unit: Unit,
  writes: readonly Write[],
  bodies: Map<number, Uint8Array>,
  c: CommitContext,
) {
  let rev = unit.believed!;
  let final: { record: TaskRecord; body: Uint8Array } | "deleted" | undefined;
  unit.outcome = new Map();
  for (const i of unit.writes) {
    const write = writes[i]!;
    if (write.expectRev !== undefined && write.expectRev !== rev) {
      unit.outcome.set(i, { ok: false, conflict: true });
      continue;
    }
    if (write.type === "delete") {
      final = "deleted";
      rev = 0;
      unit.outcome.set(i, { ok: true });
      continue;
    }
    try {
      let body = bodies.get(i);
      if (!body) bodies.set(i, body = bodyOf(write.record));
      final = { record: write.record, body };
      rev = write.record.rev;
      unit.outcome.set(i, { ok: true });
    } catch (error) {
      unit.outcome.set(i, { ok: false, error: error as Error });
    }
  }
  const expect = unit.believed!;
  const key = unit.key;
  unit.status = undefined;
  if (final === undefined || (final === "deleted" && expect === 0)) {
    // Nothing to write: what was read stands; a belief must be proven.
    unit.op = unit.read ? undefined : { kind: "check", key, expect };
  } else if (final === "deleted") {
    unit.op = { kind: "delete", key, expect };
  } else {
    const { record, body } = final;
    unit.status = record.status;
    unit.op = expect === 0
      ? {
        kind: "insert",
        key,
        status: record.status,
        work: record.work,
        rev,
        body,
        createdAt: record.createdAt,
      }
      : { kind: "update", key, expect, fence: c.fence(key), status: record.status, rev, body };
  }
}

/** Reads the stored revision, lease token and commit id of `units`, waiting out an outage. */
async function readBack(
  c: CommitContext,
  units: Unit[],
): Promise<Map<string, Record<string, unknown>>> {
  const { rows } = await c.db.read("read tasks back after a commit", {
    text: `SELECT id, rev, lease_token::text AS token, commit_id::text AS commit_id
      FROM ${c.names.table} WHERE id = ANY($1::text[])`,
    values: [units.map((u) => u.key)],
  });
  return new Map(rows.map((row) => [String(row.id), row]));
}

/** Takes what was read as the truth for `unit`; false when its lease turned out lost. */
function believe(unit: Unit, row: Record<string, unknown> | undefined, c: CommitContext): boolean {
  unit.believed = row ? Number(row.rev) : 0;
  unit.read = true;
  const fence = c.fence(unit.key);
  if (fence !== undefined && row && row.token !== fence) {
    c.lost(unit.key);
    return false;
  }
  return true;
}

/**
 * Which of `units` landed with the batch whose connection broke (`error`):
 * read back once the server answers. The notifications went out with the
 * batch when it landed, and are put back when nothing did.
 */
async function landedOf(
  c: CommitContext,
  units: Unit[],
  context: BatchContext,
  error: unknown,
  started: number,
): Promise<Set<string>> {
  if (Date.now() - started > c.db.reconnectForMs) {
    c.restore(context.payloads);
    throw outcomeUnknown(error, c.db.where, c.db.reconnectForMs);
  }
  let rows: Map<string, Record<string, unknown>>;
  try {
    rows = await readBack(c, units);
  } catch (readError) {
    c.restore(context.payloads);
    throw outcomeUnknown(readError, c.db.where, c.db.reconnectForMs);
  }
  const applied = new Set<string>();
  let committed = false;
  for (const unit of units) {
    const row = rows.get(unit.key);
    if (row?.commit_id === context.commitId) committed = true;
    const landed = unit.op!.kind === "delete" ? !row : row?.commit_id === context.commitId;
    if (landed && unit.op!.kind !== "check") applied.add(unit.key);
  }
  if (!committed) c.restore(context.payloads);
  return applied;
}

/** Applies `writes` (see the module doc); one result per write, in order. */
export async function commitBatch(
  c: CommitContext,
  writes: readonly Write[],
): Promise<WriteResult[]> {
  const results: WriteResult[] = new Array(writes.length);
  const byId = new Map<string, Unit>();
  writes.forEach((write, i) => {
    const id = writeId(write);
    let unit = byId.get(id);
    if (!unit) byId.set(id, unit = { id, key: "", writes: [], read: false, outcome: new Map() });
    unit.writes.push(i);
  });
  let pending = [...byId.values()];
  const keys = await keysOf(pending.map((u) => u.id));
  pending.forEach((u, i) => (u.key = keys[i]!));
  const bodies = new Map<number, Uint8Array>();
  const settle = (unit: Unit) => unit.outcome.forEach((result, i) => (results[i] = result));
  const conflictAll = (unit: Unit) => {
    for (const i of unit.writes) results[i] = { ok: false, conflict: true };
  };
  // A delete of any revision has no belief to start from: read first.
  const unknown = pending.filter((u) => writes[u.writes[0]!]!.expectRev === undefined);
  if (unknown.length > 0) {
    const rows = await readBack(c, unknown);
    for (const unit of unknown) believe(unit, rows.get(unit.key), c);
  }
  for (const unit of pending) {
    if (unit.believed === undefined) unit.believed = writes[unit.writes[0]!]!.expectRev!;
  }
  const started = Date.now();
  for (let round = 0; round < ROUNDS && pending.length > 0; round++) {
    for (const unit of pending) plan(unit, writes, bodies, c);
    const toWrite = pending.filter((u) => u.op !== undefined);
    pending.filter((u) => u.op === undefined).forEach(settle);
    pending = toWrite;
    if (toWrite.length === 0) break;
    const stored = toWrite.filter((u) => u.status !== undefined)
      .map((u) => ({ key: u.key, status: u.status! }));
    const deleted = toWrite.filter((u) => u.op!.kind === "delete").map((u) => u.key);
    const context: BatchContext = {
      owner: c.owner,
      commitId: randomId(),
      leaseMs: c.leaseMs,
      session: c.session(),
      payloads: c.payloads(stored, deleted),
    };
    let applied: Set<string>;
    try {
      const { rows } = await c.db.once(
        batchStatement(c.names, toWrite.map((u) => u.op!), context, c.prepare),
      );
      applied = new Set(rows.map((row) => String(row.id)));
    } catch (error) {
      if (!isConnectionLoss(error)) c.restore(context.payloads);
      if (isTransient(error)) {
        await pause(10 * (round + 1));
        continue;
      }
      if (!isConnectionLoss(error)) throw mapPgError(error, "commit a batch", c.db.where);
      applied = await landedOf(c, toWrite, context, error, started);
    }
    const retry: Unit[] = [];
    for (const unit of toWrite) {
      if (applied.has(unit.key)) {
        if (unit.op!.kind === "update" && unit.op!.fence) c.extended(unit.key);
        settle(unit);
      } else retry.push(unit);
    }
    if (retry.length > 0) {
      const rows = await readBack(c, retry);
      pending = [];
      for (const unit of retry) {
        if (believe(unit, rows.get(unit.key), c)) pending.push(unit);
        else conflictAll(unit);
      }
    } else pending = [];
  }
  if (pending.length > 0) {
    throw new DriverError(
      NAME,
      `The postgres driver could not commit task "${pending[0]!.id}": other engines kept ` +
        "changing it; try again",
      { code: "CONTENDED" },
    );
  }
  return results;
}
