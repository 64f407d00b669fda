/**
 * How a record is written inside a journal frame: one line per write.
 *
 * - a put, short form (format 3): the head
 *   `["p",id,status,work,createdAt,rev,step,updatedAt]`, then TAB and the
 *   state's codec text; when the record has other fields (`progress`,
 *   `error`) or a result, TAB and their object's codec text (`{}` for none),
 *   and with a result, TAB and the result's codec text;
 * - a put, whole form (formats 1 and 2, and format 3 for a record whose
 *   head fields are not plain strings and finite numbers):
 *   `["p",id,status,work,rev]` TAB the record body `[fields,state(,result)]`;
 * - a delete: `["d",id]`.
 *
 * The head is small, so opening a store reads ids, statuses and revisions
 * without parsing states; the rest is parsed only when a record is asked
 * for. The short form writes each field once and no key names, which makes
 * a commit's text about half as long as the whole form's, and its encoding
 * faster; its head puts the fields that stay the same from one commit of a
 * task to the next first, and that part of the text is kept with the
 * task's entry and reused. Values go through the core codec, so a journal is plain UTF-8 JSON
 * text, the same on Node and Deno. JSON escapes tabs and newlines inside
 * strings, so neither can appear raw in a line.
 *
 * @module
 */

import {
  decode,
  decodeRecordBody,
  encode,
  encodeRecordBody,
  StoreCorruptError,
  type TaskRecord,
  type TaskStatus,
} from "../../src/driver.ts";

/** A put as the index keeps it: the head fields and the whole line. */
export interface Entry {
  /** The task's id. */
  id: string;
  /** Its status. */
  status: TaskStatus;
  /** Its work name. */
  work: string;
  /** Its revision. */
  rev: number;
  /** The line, to write again when compacting and to parse on demand. */
  line: string;
  /** The short form's head up to `createdAt` included, once a commit made it; with `createdAt`. */
  prefix?: string;
  /** The `createdAt` of `prefix`. */
  createdAt?: number;
}

/** A parsed line: an entry, or the id of a delete. */
export type Line = { put: Entry } | { put?: undefined; deleted: string };

const hasOwn = Object.prototype.hasOwnProperty;
/** The fields that the short form's head and parts hold; every other one goes with the extras. */
const OWN_PLACE = new Set([
  "id",
  "work",
  "status",
  "state",
  "step",
  "rev",
  "createdAt",
  "updatedAt",
]);

/** A number that JSON keeps as it is. */
function plainNumber(value: unknown): boolean {
  return typeof value === "number" && Number.isFinite(value) && (value !== 0 || 1 / value > 0);
}

/**
 * The JSON text of a plain number. Integers past the small ones (times in
 * milliseconds) are written as two halves, several times faster than the
 * platform's general conversion, with the same digits.
 */
function numberText(value: number): string {
  if (value >= 0 && value <= Number.MAX_SAFE_INTEGER && Number.isInteger(value)) {
    if (value < 1e9) return `${value}`;
    let high = Math.floor(value / 1e9);
    let low = value - high * 1e9;
    if (low < 0) {
      high--;
      low += 1e9;
    } else if (low >= 1e9) {
      high++;
      low -= 1e9;
    }
    return `${high}${`${low}`.padStart(9, "0")}`;
  }
  return JSON.stringify(value);
}

/** The short form's text after the head, or `undefined` when the record needs the whole form. */
function shortParts(record: TaskRecord): string | undefined {
  let extra: Record<string, unknown> | undefined;
  for (const key in record) {
    // A switch on the names, several times faster here than a look-up in OWN_PLACE.
    switch (key) {
      case "id":
      case "work":
      case "status":
      case "state":
      case "step":
      case "rev":
      case "createdAt":
      case "updatedAt":
      case "result":
        continue;
      case "__proto__":
        return undefined;
    }
    if (hasOwn.call(record, key)) {
      (extra ??= {})[key] = (record as unknown as Record<string, unknown>)[key];
    }
  }
  const withResult = "result" in record;
  let text = encode(record.state, "state");
  if (extra || withResult) text += `\t${extra ? encode(extra, "record") : "{}"}`;
  if (withResult) text += `\t${encode(record.result, "result")}`;
  return text;
}

/**
 * The entry of a put; throws `StateNotStorableError` for what cannot be
 * stored. `previous`: the task's entry so far, whose head text is reused.
 */
export function putLine(record: TaskRecord, previous?: Entry | null): Entry {
  const { id, status, work, rev, step, createdAt, updatedAt } = record;
  const short = typeof id === "string" && typeof status === "string" &&
    typeof work === "string" && plainNumber(rev) && plainNumber(step) &&
    plainNumber(createdAt) && plainNumber(updatedAt);
  const parts = short ? shortParts(record) : undefined;
  if (parts === undefined) {
    const line = `${JSON.stringify(["p", id, status, work, rev])}\t${encodeRecordBody(record)}`;
    return { id, status, work, rev, line };
  }
  // The text of JSON.stringify(["p", id, status, work, createdAt, rev, step, updatedAt]).
  const prefix = previous?.prefix !== undefined && previous.status === status &&
      previous.work === work && previous.createdAt === createdAt
    ? previous.prefix
    : `["p",${JSON.stringify(id)},${JSON.stringify(status)},${JSON.stringify(work)},${
      numberText(createdAt)
    },`;
  const line = `${prefix}${numberText(rev)},${numberText(step)},${
    numberText(updatedAt)
  }]\t${parts}`;
  return { id, status, work, rev, line, prefix, createdAt };
}

/** The line of a delete. */
export function deleteLine(id: string): string {
  return JSON.stringify(["d", id]);
}

function corrupt(file: string, offset: number | undefined, cause?: unknown): StoreCorruptError {
  const where = offset === undefined ? "" : ` at byte ${offset}`;
  return new StoreCorruptError(
    `The fs driver cannot read a record in ${file}${where}: its checksum is right but its text ` +
      `is not a stater record (was the file written by another program?); restore the store ` +
      `from a backup`,
    { file, offset },
    { cause },
  );
}

/** Whether `head` is the head of a put: whole form (5 items) or short form (8). */
function isPutHead(head: unknown[]): boolean {
  if (
    head[0] !== "p" || typeof head[2] !== "string" || typeof head[3] !== "string" ||
    typeof head[4] !== "number"
  ) return false;
  return head.length === 5 ||
    (head.length === 8 && head.slice(5).every((value) => typeof value === "number"));
}

/** Where a put's head holds its revision. */
const revAt = (head: unknown[]) => (head.length === 5 ? 4 : 5);

/** Parses one line; `file` and `offset` (of its frame) name the place in errors. */
export function parseLine(line: string, file: string, offset: number): Line {
  const tab = line.indexOf("\t");
  let head: unknown;
  try {
    head = JSON.parse(tab < 0 ? line : line.slice(0, tab));
  } catch (error) {
    throw corrupt(file, offset, error);
  }
  if (Array.isArray(head) && typeof head[1] === "string") {
    if (head[0] === "d" && head.length === 2 && tab < 0) return { deleted: head[1] };
    if (tab > 0 && isPutHead(head)) {
      return {
        put: {
          id: head[1],
          status: head[2] as TaskStatus,
          work: head[3],
          rev: head[revAt(head)] as number,
          line,
        },
      };
    }
  }
  throw corrupt(file, offset);
}

/** The record of a short-form line, whose head is `head`. */
function readShort(head: unknown[], parts: string[]): TaskRecord {
  const [, id, status, work, createdAt, rev, step, updatedAt] = head;
  const record = {
    id,
    work,
    status,
    state: decode(parts[0]!),
    step,
    rev,
    createdAt,
    updatedAt,
  } as TaskRecord & Record<string, unknown>;
  if (parts.length > 1) {
    const extra = decode(parts[1]!) as Record<string, unknown>;
    if (typeof extra !== "object" || extra === null || Array.isArray(extra)) {
      throw new TypeError("the extra fields of a record are not an object");
    }
    for (const key in extra) {
      if (hasOwn.call(extra, key) && !OWN_PLACE.has(key) && key !== "__proto__") {
        record[key] = extra[key];
      }
    }
  }
  if (parts.length > 2) record.result = decode(parts[2]!);
  return record;
}

/** The record of an entry, as a fresh copy. */
export function readRecord(entry: Entry, file: string): TaskRecord {
  const line = entry.line;
  const tab = line.indexOf("\t");
  try {
    const head = JSON.parse(line.slice(0, tab)) as unknown[];
    const rest = line.slice(tab + 1);
    return head.length === 5 ? decodeRecordBody(rest) : readShort(head, rest.split("\t"));
  } catch (error) {
    throw corrupt(file, undefined, error);
  }
}
