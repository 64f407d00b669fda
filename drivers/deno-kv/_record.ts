/**
 * How a record is stored: bytes, never a JS value (V8 serialisation differs
 * between Deno's V8 and Node's, so a value one writes may be unreadable by
 * the other). The bytes are UTF-8 text:
 *
 *     ["s1",rev,status,work,owner,chunks,nonce] LF body
 *
 * The head is small and also goes to the status index. The body is JSON
 * from the core codec: `[fields, state(, result)]`. A body that does not fit
 * in one value (64 KiB) is cut into `chunks` parts stored under
 * `[...prefix, "chunk", idKey, nonce, i]`, written and deleted in the same
 * atomic operation as the head; the head then holds no body.
 *
 * @module
 */

import {
  decodeRecordBody,
  encodeRecordBody,
  StateNotStorableError,
  StoreCorruptError,
  TASK_STATUSES,
  type TaskRecord,
  type TaskStatus,
} from "../../src/driver.ts";
import { MAX_VALUE_BYTES } from "./_keys.ts";
import { ATOMIC_LIMITS } from "./_limits.ts";

/** The bytes of one chunk. */
export const CHUNK_BYTES = 65_000;
/** The largest body one atomic operation can carry, with room for keys and the index. */
export const MAX_BODY_BYTES = ATOMIC_LIMITS.bytes - 40_000;

/** What the head of a stored record says. */
export interface Head {
  /** The record's revision. */
  rev: number;
  /** Its status. */
  status: TaskStatus;
  /** Its work name. */
  work: string;
  /** The owner id of the engine that committed it. */
  owner: string;
  /** How many chunks hold the body; 0 when it is inline. */
  chunks: number;
  /** Names this revision's chunks (empty when inline). */
  nonce: string;
}

/** A record ready to store: its head bytes, its main value, and its chunks. */
export interface Encoded {
  head: Head;
  /** The head alone, for the status index. */
  headBytes: Uint8Array;
  /** The main value: head, and the body when it is inline. */
  value: Uint8Array;
  /** The body's parts, when it does not fit inline. */
  chunks: Uint8Array[];
}

const utf8 = new TextEncoder();
const LF = 10;

function randomNonce(): string {
  return Math.random().toString(36).slice(2, 10) + Date.now().toString(36);
}

function headText(head: Head): string {
  return JSON.stringify([
    "s1",
    head.rev,
    head.status,
    head.work,
    head.owner,
    head.chunks,
    head.nonce,
  ]);
}

/** Encodes `record`; throws `StateNotStorableError` for what cannot be stored, or is too large. */
export function encodeRecord(record: TaskRecord, owner: string): Encoded {
  const body = utf8.encode(encodeRecordBody(record));
  if (body.length > MAX_BODY_BYTES) {
    throw new StateNotStorableError(
      "state",
      `task "${record.id}" encodes to ${body.length} bytes, ` +
        `more than the ${MAX_BODY_BYTES} bytes ` +
        "a deno-kv record may take (what one Deno KV atomic operation can write)",
      {
        advice: "Keep large data elsewhere (a file, an object store, keys of its own) and " +
          "store a reference to it in the state",
      },
    );
  }
  const head: Head = {
    rev: record.rev,
    status: record.status,
    work: record.work,
    owner,
    chunks: 0,
    nonce: "",
  };
  let headBytes = utf8.encode(headText(head));
  if (headBytes.length + 1 + body.length <= MAX_VALUE_BYTES) {
    const value = new Uint8Array(headBytes.length + 1 + body.length);
    value.set(headBytes);
    value[headBytes.length] = LF;
    value.set(body, headBytes.length + 1);
    return { head, headBytes, value, chunks: [] };
  }
  head.chunks = Math.ceil(body.length / CHUNK_BYTES);
  head.nonce = randomNonce();
  headBytes = utf8.encode(headText(head));
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < body.length; at += CHUNK_BYTES) {
    chunks.push(body.subarray(at, at + CHUNK_BYTES));
  }
  const value = new Uint8Array(headBytes.length + 1);
  value.set(headBytes);
  value[headBytes.length] = LF;
  return { head, headBytes, value, chunks };
}

/** Why stored bytes cannot be read, as a `StoreCorruptError` naming the key. */
export function corrupt(where: string, detail: string, cause?: unknown): StoreCorruptError {
  return new StoreCorruptError(
    `The deno-kv driver cannot read ${where}: ${detail}. ` +
      "Was it written by another program, or by another " +
      `store under the same prefix? Remove that key or restore the store from a backup`,
    { file: where },
    cause === undefined ? undefined : { cause },
  );
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Parses the head at the start of `value` (a main or an index value); `where` names the key. */
export function parseHead(value: unknown, where: string): { head: Head; bodyAt: number } {
  if (!(value instanceof Uint8Array)) {
    throw corrupt(where, `its value is ${value === null ? "null" : typeof value}, not bytes`);
  }
  let end = value.indexOf(LF);
  if (end < 0) end = value.length;
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(value.subarray(0, end)));
  } catch (error) {
    throw corrupt(where, "its head is not a stater record head", error);
  }
  const fields = raw as unknown[];
  if (
    !Array.isArray(fields) || fields[0] !== "s1" || typeof fields[1] !== "number" ||
    !TASK_STATUSES.includes(fields[2] as TaskStatus) || typeof fields[3] !== "string" ||
    typeof fields[4] !== "string" || typeof fields[5] !== "number" ||
    typeof fields[6] !== "string"
  ) {
    throw corrupt(where, "its head is not a stater record head");
  }
  return {
    head: {
      rev: fields[1],
      status: fields[2] as TaskStatus,
      work: fields[3],
      owner: fields[4],
      chunks: fields[5],
      nonce: fields[6],
    },
    bodyAt: end + 1,
  };
}

/** The record from its body bytes; `where` names the key. */
export function decodeBody(body: Uint8Array, where: string): TaskRecord {
  try {
    const record = decodeRecordBody(decoder.decode(body));
    if (typeof record.id !== "string" || typeof record.rev !== "number") {
      throw new TypeError("the body has no id or revision");
    }
    return record;
  } catch (error) {
    throw corrupt(where, "its body is not a stater record", error);
  }
}
