/**
 * Group commit on Deno KV. The writes of one batch are grouped by record
 * (`_plan.ts`); each record's writes are judged against its stored head,
 * and the records are packed into as few atomic operations as Deno KV's
 * limits allow (`_operations.ts`), so atomicity is per record, not per
 * batch. When an operation fails its checks, its units are tried again
 * with a check each, then each on its own, so one record changed by another
 * engine fails only its own writes; a unit that still fails is read again
 * and judged against the fresh revision.
 *
 * The driver remembers what it committed last (`_known.ts`), so the next
 * commit of a task it runs needs no read first, and while no other engine
 * commits, one check on the store's clock stands for every record it wrote
 * in its latest operation: a batch of many tasks' steps is one operation.
 *
 * @module
 */

import { DriverError, type Write, type WriteResult } from "../../src/driver.ts";
import type { Keys } from "./_keys.ts";
import type { Known } from "./_known.ts";
import type { KvLike } from "./_kv.ts";
import type { OperationLimits } from "./_limits.ts";
import { alone, apply, type Operation, pack } from "./_operations.ts";
import { errorOf, plan, type Unit, unitsOf } from "./_plan.ts";
import { getAll, storeFailed, whereOf } from "./_read.ts";
import { parseHead } from "./_record.ts";
import type { EventWrite, Outbox } from "./_outbox.ts";

/** How many times a batch reads and tries again the records that other engines keep changing. */
const ROUNDS = 25;

/** What a commit works with: the store, its keys and limits, and what this driver knows. */
export interface CommitContext {
  kv: KvLike;
  keys: Keys;
  owner: string;
  limits: OperationLimits;
  known: Known;
  outbox?: Outbox;
}

/** Judges every unit in `pending` against what this driver knows or reads now. */
async function judgeAll(
  context: CommitContext,
  pending: Unit[],
  writes: readonly Write[],
  trustKnown: boolean,
): Promise<void> {
  const { kv, keys, owner, known } = context;
  // What this driver committed last is trusted when the first write expects that revision.
  const hits = pending.map((unit) => {
    const hit = trustKnown ? known.get(unit.id) : undefined;
    const expected = writes[unit.writes[0]!]!.expectRev;
    return hit && (expected === undefined || expected === hit.head.rev) ? hit : undefined;
  });
  const misses = pending.filter((_, index) => !hits[index]);
  const read = await getAll(kv, misses.map((unit) => keys.task(unit.idKey)));
  const entries = new Map(misses.map((unit, index) => [unit, read[index]!]));
  pending.forEach((unit, index) => {
    try {
      const hit = hits[index];
      const entry = entries.get(unit);
      if (hit) plan(unit, writes, hit.head, hit.stamp, keys, owner);
      else if (!entry || entry.versionstamp === null) {
        plan(unit, writes, undefined, null, keys, owner);
      } else {
        const { head } = parseHead(entry.value, whereOf(unit.idKey));
        plan(unit, writes, head, entry.versionstamp, keys, owner);
      }
    } catch (error) {
      // A stored value that is not a stater record fails the writes to it, not the batch.
      unit.mutations = [];
      const failed: WriteResult = { ok: false, error: errorOf(error) };
      unit.outcome = new Map(unit.writes.map((index) => [index, failed]));
    }
  });
}

/** The events to carry in this round's first operation; what would not fit is written ahead. */
async function eventsFor(
  outbox: Outbox | undefined,
  toWrite: Unit[],
  writes: readonly Write[],
  limits: OperationLimits,
): Promise<EventWrite | undefined> {
  if (!outbox || toWrite.length === 0) return undefined;
  const statusChange = writes.some((write) =>
    write.type === "delete" || write.record.status !== "running"
  );
  // The first operation may start with any of the units: room for the largest.
  const largest = Math.max(...toWrite.map((unit) => unit.bytes));
  let events = outbox.takeFor(statusChange);
  while (events && (outbox.pending || events.bytes + largest > limits.bytes)) {
    await outbox.write(events);
    events = outbox.take();
  }
  return events;
}

/** Writes what the outbox holds by itself, ahead of the commits still to land. */
async function flushAhead(outbox: Outbox): Promise<void> {
  for (let events = outbox.take(); events; events = outbox.take()) await outbox.write(events);
}

/** Applies `operations`, checking each record; the units that fail on their own are returned. */
async function applyEach(
  context: CommitContext,
  operations: Operation[],
  settle: (unit: Unit) => void,
  refused: Unit[][] = [],
): Promise<Unit[]> {
  const { kv, keys, known } = context;
  const failed: Unit[] = [];
  // One of them changed under us: find which, each on its own.
  const oneByOne = (units: Unit[]) =>
    Promise.all(units.map(async (unit) => {
      if (units.length > 1 && await apply(kv, keys, alone(unit), known)) settle(unit);
      else failed.push(unit);
    }));
  await Promise.all([
    ...operations.map(async (operation) => {
      if (await apply(kv, keys, operation, known)) operation.units.forEach(settle);
      else await oneByOne(operation.units);
    }),
    ...refused.map(oneByOne),
  ]);
  return failed;
}

/**
 * Applies the units of one round. In a chain (`_known.ts`) the operations go
 * one after the other. Once one is refused, or outside a chain, they go
 * together, each record checked; the first of them still goes alone, since
 * it carries the events, which must land before the commits they came with.
 * The units that still fail on their own are returned.
 */
async function applyRound(
  context: CommitContext,
  units: Unit[],
  events: EventWrite | undefined,
  settle: (unit: Unit) => void,
): Promise<Unit[]> {
  const { kv, keys, known, outbox, limits } = context;
  const chained = known.chaining;
  const operations = pack(units, limits, { chained, chainStart: known.chain?.start, events });
  for (let index = 0; index < operations.length; index++) {
    const operation = operations[index]!;
    if (!chained && index > 0) return applyEach(context, operations.slice(index), settle);
    let stamp: string | undefined;
    try {
      stamp = await apply(kv, keys, operation, known, known.chain?.end);
    } finally {
      if (operation.events && stamp === undefined) outbox!.restore(operation.events);
    }
    if (stamp !== undefined) {
      if (chained) known.extend(stamp);
      operation.units.forEach(settle);
      continue;
    }
    // Refused: another engine wrote. The events go ahead by themselves, then each record is
    // checked.
    if (operation.events) await flushAhead(outbox!);
    if (chained) known.clockMoved();
    const left = operations.slice(index + 1).flatMap((rest) => rest.units);
    if (operation.checksClock) left.unshift(...operation.units);
    const retried = pack(left, limits, { chained: false });
    return applyEach(context, retried, settle, operation.checksClock ? [] : [operation.units]);
  }
  return [];
}

/**
 * Applies `writes` (see the module doc); one result per write, in order.
 * What the outbox holds goes into the first atomic operation (what would
 * not fit there is written just before), or ahead of the commits when that
 * operation fails.
 */
export async function commitBatch(
  context: CommitContext,
  writes: readonly Write[],
): Promise<WriteResult[]> {
  const results: WriteResult[] = new Array(writes.length);
  const settle = (unit: Unit) => {
    for (const [index, result] of unit.outcome) results[index] = result;
  };
  let pending = await unitsOf(writes);
  // Events published ahead of these writes and already on their way land first.
  await context.outbox?.landed();
  try {
    for (let round = 0; round < ROUNDS && pending.length > 0; round++) {
      await judgeAll(context, pending, writes, round === 0);
      const toWrite = pending.filter((unit) => unit.mutations.length > 0);
      pending.filter((unit) => unit.mutations.length === 0).forEach(settle);
      const events = await eventsFor(context.outbox, toWrite, writes, context.limits);
      pending = await applyRound(context, toWrite, events, settle);
      for (const unit of pending) context.known.forget(unit.id);
    }
  } catch (error) {
    throw storeFailed(error, "commit a batch of writes");
  }
  if (pending.length > 0) {
    throw new DriverError(
      "deno-kv",
      `The deno-kv driver could not commit task "${pending[0]!.id}": ` +
        "other engines kept changing it; try again",
      { code: "CONTENDED" },
    );
  }
  return results;
}
