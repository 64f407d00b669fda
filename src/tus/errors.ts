/**
 * The errors of `stater/tus`. An upload that cannot succeed fails its task
 * with a {@linkcode TusError} (its `retryable` is `false`, so the engine
 * does not try again); a server error or a network failure throws one with
 * `retryable: true`, and the engine retries the step with its backoff.
 *
 * @module
 */

import { StaterError } from "../mod.ts";
import { formatBytes } from "./_util.ts";

/** The codes of {@linkcode TusError}. */
export type TusErrorCode =
  /** The server refused a request with a 4xx answer that trying again cannot mend. */
  | "TUS_REFUSED"
  /** The server answered 5xx (or 408, 429): retried with the engine's backoff. */
  | "TUS_SERVER_ERROR"
  /** The request did not reach the server or its answer did not come back: retried. */
  | "TUS_NETWORK_ERROR"
  /** The server kept the upload locked (423) longer than `lockedTimeoutMs`: retried. */
  | "TUS_LOCKED"
  /** The server's answer breaks the tus protocol (an offset past what was sent, no `Location`). */
  | "TUS_PROTOCOL_ERROR"
  /** The task's state is not an upload made by `tusUpload()`. */
  | "TUS_BAD_STATE"
  /** The file of a path source is not there (or cannot be read). */
  | "TUS_SOURCE_MISSING"
  /** The file changed (size or modification time) since its upload began. */
  | "TUS_SOURCE_CHANGED";

/** Where a {@linkcode TusError} happened. */
export interface TusErrorDetails {
  /** The file's name, as sent in `Upload-Metadata`. */
  file: string;
  /** The request's method, when a request failed. */
  method?: string;
  /** The request's URL, when a request failed. */
  url?: string;
  /** The server's HTTP status, when it answered. */
  status?: number;
  /** Whether the engine may retry the step. */
  retryable: boolean;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * An upload that went wrong. The message names the file and, when the
 * server answered, its answer; `retryable` says whether the engine tries
 * the step again.
 *
 * @example
 * ```ts
 * import { TusError } from "stater/tus";
 *
 * const error = new TusError("TUS_REFUSED", 'Uploading "a.txt" failed: 413 Payload Too Large', {
 *   file: "a.txt",
 *   status: 413,
 *   retryable: false,
 * });
 * console.log(error.code, error.status, error.retryable); // TUS_REFUSED 413 false
 * ```
 */
export class TusError extends StaterError {
  /** The file's name. */
  readonly file: string;
  /** The request's method, when a request failed. */
  readonly method: string | undefined;
  /** The request's URL, when a request failed. */
  readonly url: string | undefined;
  /** The server's HTTP status, when it answered. */
  readonly status: number | undefined;
  /** `false` when trying again cannot mend it: the task fails at once. */
  readonly retryable: boolean;
  /** Creates the error; see {@linkcode TusErrorCode} for the codes. */
  constructor(code: TusErrorCode, message: string, details: TusErrorDetails) {
    super(code, message, { cause: details.cause });
    this.file = details.file;
    this.method = details.method;
    this.url = details.url;
    this.status = details.status;
    this.retryable = details.retryable;
  }
}

/**
 * The site's storage has less room left than the files to be stored need.
 * Thrown by `checkStorageRoom()` and `addUploads()` before anything is stored.
 *
 * @example
 * ```ts
 * import { StorageRoomError } from "stater/tus";
 *
 * const error = new StorageRoomError(3 * 2 ** 30, 2 ** 30);
 * console.log(error.code, error.missing); // STORAGE_ROOM 2147483648
 * ```
 */
export class StorageRoomError extends StaterError {
  /** Bytes the files need. */
  readonly needed: number;
  /** Bytes left under the site's quota. */
  readonly available: number;
  /** Bytes missing: `needed - available`. */
  readonly missing: number;
  /** Creates the error for files of `needed` bytes with `available` bytes left. */
  constructor(needed: number, available: number) {
    const missing = needed - available;
    super(
      "STORAGE_ROOM",
      `Storing these files needs ${formatBytes(needed)} but the site has ${
        formatBytes(available)
      } left, so ${formatBytes(missing)} are missing: add fewer files at once, remove finished ` +
        `uploads, free disk space, or ask for more with requestPersistence()`,
    );
    this.needed = needed;
    this.available = available;
    this.missing = missing;
  }
}

//END
