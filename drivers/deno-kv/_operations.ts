/**
 * Units packed into atomic operations, and applied. An operation holds as
 * many units as Deno KV's limits allow (`_limits.ts`). Each unit is checked
 * by its record's versionstamp, except in a chain (`_known.ts`): there each
 * operation checks the clock instead, and the units whose record this
 * driver wrote in the chain ride without a check of their own, so one
 * operation can carry a whole batch. Events published since the last commit
 * ride in the first operation (`_outbox.ts`).
 *
 * @module
 */

import type { Keys } from "./_keys.ts";
import type { Known } from "./_known.ts";
import type { KvLike } from "./_kv.ts";
import type { OperationLimits } from "./_limits.ts";
import type { Unit } from "./_plan.ts";
import type { EventWrite } from "./_outbox.ts";

/** Bytes the clock key's value and an allowance for its key take in an operation. */
const CLOCK_BYTES = 64;
/** What the clock key holds. */
const CLOCK_VALUE = new Uint8Array([1]);

/** One atomic operation to apply. */
export interface Operation {
  units: Unit[];
  /** Whether it checks the clock (the versionstamp is the chain's end when it is applied). */
  checksClock: boolean;
  /** The units that ride on the clock check, without a check of their own. */
  covered: Set<Unit>;
  /** Events that ride along. */
  events?: EventWrite;
}

/** How to pack: in a chain or not, and what rides along. */
export interface PackOptions {
  /** Operations go in a chain, each checking the clock (the first one only if the chain runs). */
  chained: boolean;
  /** Where the running chain began: units written since ride on the clock check. */
  chainStart?: string;
  /** Events for the first operation. */
  events?: EventWrite;
}

/** A single unit, in an operation of its own that checks its record. */
export function alone(unit: Unit): Operation {
  return { units: [unit], checksClock: false, covered: new Set() };
}

/** Packs `units` into operations (see {@linkcode PackOptions}), fullest first. */
export function pack(
  units: readonly Unit[],
  limits: OperationLimits,
  options: PackOptions,
): Operation[] {
  const { chained, chainStart, events } = options;
  const onChain = (unit: Unit) =>
    chainStart !== undefined && unit.check.versionstamp !== null &&
    unit.check.versionstamp >= chainStart;
  const ordered = [...units.filter(onChain), ...units.filter((unit) => !onChain(unit))];
  const operations: Operation[] = [];
  let current!: Operation;
  let checks = 0, mutations = 0, bytes = 0, keyBytes = 0;
  const open = (withEvents?: EventWrite) => {
    current = {
      units: [],
      checksClock: chained && (operations.length > 0 || chainStart !== undefined),
      covered: new Set(),
      events: withEvents,
    };
    checks = current.checksClock ? 1 : 0;
    mutations = 1 + (withEvents ? withEvents.sets.length + withEvents.deletes.length : 0);
    bytes = CLOCK_BYTES + (withEvents?.bytes ?? 0);
    keyBytes = CLOCK_BYTES;
  };
  open(events);
  for (const unit of ordered) {
    const rides = () => current.checksClock && onChain(unit);
    const fits = checks + (rides() ? 0 : 1) <= limits.checks &&
      mutations + unit.mutations.length <= limits.mutations &&
      bytes + unit.bytes <= limits.bytes && keyBytes + unit.keyBytes <= limits.keyBytes;
    if (!fits && current.units.length > 0) {
      operations.push(current);
      open();
    }
    if (rides()) current.covered.add(unit);
    else checks++;
    current.units.push(unit);
    mutations += unit.mutations.length;
    bytes += unit.bytes;
    keyBytes += unit.keyBytes;
  }
  if (current.units.length > 0) operations.push(current);
  return operations;
}

/**
 * Applies `operation`, checking the clock against `clock` when it checks
 * the clock; on success notes what its units left in `known`. The
 * operation's versionstamp, or undefined when a check failed.
 */
export async function apply(
  kv: KvLike,
  keys: Keys,
  operation: Operation,
  known: Known,
  clock?: string,
): Promise<string | undefined> {
  const atomic = kv.atomic();
  for (const set of operation.events?.sets ?? []) {
    atomic.set(
      set.key,
      set.value,
      set.expireIn === undefined ? undefined : { expireIn: set.expireIn },
    );
  }
  for (const key of operation.events?.deletes ?? []) atomic.delete(key);
  if (operation.checksClock) atomic.check({ key: keys.clock, versionstamp: clock ?? null });
  for (const unit of operation.units) {
    if (!operation.covered.has(unit)) atomic.check(unit.check);
    for (const mutation of unit.mutations) {
      if (mutation.value) atomic.set(mutation.key, mutation.value);
      else atomic.delete(mutation.key);
    }
  }
  // Other engines watch this key's versionstamp, which every set renews, to notice that
  // something changed (`_watch.ts`); the value does not matter.
  atomic.set(keys.clock, CLOCK_VALUE);
  const result = await atomic.commit();
  if (!result.ok || !result.versionstamp) return undefined;
  for (const unit of operation.units) {
    if (unit.final !== undefined) known.set(unit.id, result.versionstamp, unit.final);
  }
  return result.versionstamp;
}
