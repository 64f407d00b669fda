/**
 * `stater/driver`: what a driver author needs. The driver contract (the
 * {@linkcode Driver} interface and the records, writes and events it
 * handles), the state codec that byte-storing drivers share, the record body
 * layout, the errors drivers raise, small helpers, and the conformance suite
 * every driver must pass ({@linkcode testDriver}).
 *
 * Users of stater import `stater` and a driver; only driver authors need
 * this entry.
 *
 * @example
 * ```ts
 * import { decodeRecordBody, encodeRecordBody, type TaskRecord } from "stater/driver";
 *
 * const record: TaskRecord = {
 *   id: "t", work: "count", status: "running", state: { when: new Date(0) },
 *   step: 1, rev: 2, createdAt: 0, updatedAt: 0,
 * };
 * const back = decodeRecordBody(encodeRecordBody(record));
 * console.log((back.state as { when: Date }).when.getTime()); // 0
 * ```
 *
 * @module
 */

export * from "./contract.ts";
export {
  type AllowValue,
  checkStorable,
  cloneStorable,
  decode,
  encode,
  fromJSONValue,
  toJSONValue,
} from "./codec.ts";
export { decodeRecordBody, encodeRecordBody } from "./_record_body.ts";
export {
  DriverError,
  type LockHolder,
  OwnershipLostError,
  StateNotStorableError,
  StaterError,
  type StaterErrorOptions,
  StoreCorruptError,
  StoreLockedError,
} from "./errors.ts";
export { errorCode, loadError, randomId, storeError, toError } from "./_util.ts";
export { type Serial, serial } from "./_serial.ts";
export { type Durability, durabilityOption } from "./_options.ts";
export {
  type DriverSubject,
  type StoreUnderTest,
  type SuiteTest,
  type TestApi,
  testDriver,
} from "./conformance/mod.ts";
