/**
 * How a record is written inside a journal frame: one line per write.
 *
 * - a put: `["p",id,status,work,rev]` TAB `[fields,state(,result)]`
 * - a delete: `["d",id]`
 *
 * The head is small, so opening a store reads ids, statuses and revisions
 * without parsing states; the body is parsed only when a record is asked for.
 * Values go through the core codec (`toJSONValue` / `fromJSONValue`), so a
 * journal is plain UTF-8 JSON text, the same on Node and Deno. JSON escapes
 * tabs and newlines inside strings, so neither can appear raw in a line.
 *
 * @module
 */

import {
  decodeRecordBody,
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
}

/** A parsed line: an entry, or the id of a delete. */
export type Line = { put: Entry } | { put?: undefined; deleted: string };

/** The line of a put; throws `StateNotStorableError` for what cannot be stored. */
export function putLine(record: TaskRecord): Entry {
  const body = encodeRecordBody(record);
  const head = JSON.stringify(["p", record.id, record.status, record.work, record.rev]);
  return {
    id: record.id,
    status: record.status,
    work: record.work,
    rev: record.rev,
    line: `${head}\t${body}`,
  };
}

/** The line of a delete. */
export function deleteLine(id: string): string {
  return JSON.stringify(["d", id]);
}

function corrupt(file: string, offset: number | undefined, cause?: unknown): StoreCorruptError {
  const where = offset === undefined ? "" : ` at byte ${offset}`;
  return new StoreCorruptError(
    `The fs driver cannot read a record in ${file}${where}: its checksum is right but its text is not a ` +
      `stater record (was the file written by another program?); restore the store from a backup`,
    { file, offset },
    { cause },
  );
}

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
    if (head[0] === "d" && tab < 0) return { deleted: head[1] };
    if (
      head[0] === "p" && tab > 0 && typeof head[2] === "string" && typeof head[3] === "string" &&
      typeof head[4] === "number"
    ) {
      return {
        put: { id: head[1], status: head[2] as TaskStatus, work: head[3], rev: head[4], line },
      };
    }
  }
  throw corrupt(file, offset);
}

/** The record of an entry, as a fresh copy. */
export function readRecord(entry: Entry, file: string): TaskRecord {
  try {
    return decodeRecordBody(entry.line.slice(entry.line.indexOf("\t") + 1));
  } catch (error) {
    throw corrupt(file, undefined, error);
  }
}
