/**
 * Maps what IndexedDB throws to stater's typed errors.
 *
 * @module
 */

import { checkStorable, DriverError, StateNotStorableError } from "../../src/driver.ts";

/** The driver's name, as errors and messages show it. */
export const DRIVER = "indexeddb";

/** Admits what structured clone stores beyond the core's values: `Blob` and `File`. */
export function isBlob(value: object): boolean {
  return typeof Blob === "function" && value instanceof Blob;
}

function nameOf(error: unknown): string {
  return typeof error === "object" && error !== null
    ? String((error as { name?: unknown }).name ?? "")
    : "";
}

/** Whether `error` is structured clone refusing a value (`DataCloneError`). */
export function isCloneError(error: unknown): boolean {
  return nameOf(error) === "DataCloneError";
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ||
      (typeof error === "object" && error !== null && "message" in error)
    ? String((error as { message: unknown }).message)
    : String(error);
}

/**
 * The database was closed under this driver: deleted or upgraded by another
 * tab, or closed by the browser.
 */
export function closedError(database: string, why: string): DriverError {
  return new DriverError(
    DRIVER,
    `IndexedDB database "${database}" was ${why}, so the indexeddb driver cannot read or ` +
      `write it any more: open a new engine (createEngine) once the page is ready again`,
    { code: "DATABASE_CLOSED" },
  );
}

/**
 * A typed error for a failure of the store while `doing` something, such
 * as `"commit 3 writes"`: quota, version and closed-database troubles get
 * their own codes; a `StaterError` passes through unchanged.
 */
export function storeError(error: unknown, database: string, doing: string): Error {
  if (error instanceof DriverError || error instanceof StateNotStorableError) return error;
  const name = nameOf(error);
  const what = `The indexeddb driver could not ${doing} in database "${database}"`;
  switch (name) {
    case "QuotaExceededError":
      return new DriverError(
        DRIVER,
        `${what}: the site's storage quota is full. Remove finished tasks or large states, ` +
          `or ask for more room with navigator.storage.persist()`,
        { code: "QUOTA_EXCEEDED", cause: error },
      );
    case "VersionError":
      return new DriverError(
        DRIVER,
        `${what}: it was made by a newer version of stater. Upgrade stater, or use another ` +
          `database name`,
        { code: "DATABASE_VERSION", cause: error },
      );
    case "InvalidStateError":
      return new DriverError(DRIVER, `${what}: the connection is closed (${messageOf(error)})`, {
        code: "DATABASE_CLOSED",
        cause: error,
      });
    case "NotFoundError":
      return new DriverError(
        DRIVER,
        `${what}: it exists but was not made by stater (its object stores are missing); ` +
          `pick another name`,
        { code: "DATABASE_FOREIGN", cause: error },
      );
    default:
      return new DriverError(DRIVER, `${what}: ${name ? `${name}: ` : ""}${messageOf(error)}`, {
        cause: error,
      });
  }
}

/**
 * The `StateNotStorableError` for a value that structured clone refused
 * (`DataCloneError`), with the path of the culprit when the core's checker
 * can find it.
 */
export function notStorable(
  record: { state: unknown; result?: unknown },
  error: unknown,
): StateNotStorableError {
  try {
    checkStorable(record.state, "state", isBlob);
    checkStorable(record.result, "result", isBlob);
  } catch (found) {
    if (found instanceof StateNotStorableError) return found;
  }
  return new StateNotStorableError("state", `IndexedDB could not clone it (${messageOf(error)})`, {
    cause: error,
  });
}
