/**
 * The body of a stored record, for the drivers that store text or bytes:
 * JSON text of `[fields, state]`, or `[fields, state, result]` when the
 * record has a result. `fields` is the record without `state` and `result`.
 * Values go through the core codec, so the text is the same on every runtime
 * and any JSON tool reads it.
 *
 * @module
 */

import { fromJSONValue, toJSONValue } from "./codec.ts";
import type { TaskRecord } from "./contract.ts";

/**
 * The body text of `record`.
 *
 * @throws {StateNotStorableError} for a value the codec cannot store, naming its path.
 */
export function encodeRecordBody(record: TaskRecord): string {
  const { state, result, ...fields } = record;
  const parts: unknown[] = [toJSONValue(fields, "record").json, toJSONValue(state, "state").json];
  if ("result" in record) parts.push(toJSONValue(result, "result").json);
  return JSON.stringify(parts);
}

/**
 * The record of a body text, as a fresh copy.
 *
 * @throws {SyntaxError} when `text` is not JSON; {TypeError} when it is not a record body.
 */
export function decodeRecordBody(text: string): TaskRecord {
  const parts: unknown = JSON.parse(text);
  if (!Array.isArray(parts) || parts.length < 2 || parts.length > 3) {
    throw new TypeError(
      "A record body is a JSON array of [fields, state] or [fields, state, result]",
    );
  }
  const record = fromJSONValue(parts[0]) as TaskRecord;
  if (typeof record !== "object" || record === null || typeof record.id !== "string") {
    throw new TypeError("A record body's fields must be an object with a string id");
  }
  record.state = fromJSONValue(parts[1]);
  if (parts.length > 2) record.result = fromJSONValue(parts[2]);
  return record;
}
