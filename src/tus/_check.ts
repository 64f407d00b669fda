/**
 * What the upload step checks before it trusts a state (which may come from
 * a user, or from an older stater), and the result of a finished upload.
 *
 * @module
 */

import { isBlob, isKept } from "./_util.ts";
import { TusError } from "./errors.ts";
import { type TusUploadResult, type TusUploadState } from "./state.ts";

function badState(state: unknown, what: string): TusError {
  const name = (state as { name?: unknown } | null)?.name;
  const file = typeof name === "string" ? name : "(unknown file)";
  return new TusError(
    "TUS_BAD_STATE",
    `Uploading "${file}" cannot go on: ${what}. Make the state with tusUpload(file, { endpoint })`,
    { file, retryable: false },
  );
}

const whole = (value: unknown): value is number => Number.isSafeInteger(value);

/** The state, checked enough that the step can trust it; a permanent `TusError` otherwise. */
export function checkState(state: unknown): TusUploadState {
  if (typeof state !== "object" || state === null) {
    throw badState(state, `its state is ${state === null ? "null" : typeof state}, not an upload`);
  }
  const s = state as Partial<TusUploadState>;
  if (typeof s.endpoint !== "string") throw badState(s, "state.endpoint is not a URL");
  if (typeof s.name !== "string" || typeof s.key !== "string") {
    throw badState(s, "state.name or state.key is missing");
  }
  if (!whole(s.chunkSize) || s.chunkSize <= 0) {
    throw badState(s, `state.chunkSize is ${String(s.chunkSize)}, not a whole number of bytes > 0`);
  }
  if (!whole(s.offset) || s.offset < 0) throw badState(s, "state.offset is not a byte offset");
  if (s.url !== undefined && (typeof s.url !== "string" || !whole(s.size))) {
    throw badState(s, "state.url is set but state.size is not");
  }
  const complete = s.url !== undefined && s.offset === s.size;
  if (
    !complete && !isBlob(s.source) && !isKept(s.source) &&
    (typeof s.source !== "string" || s.source === "")
  ) {
    throw badState(s, "its state has no file (state.source is missing)");
  }
  return s as TusUploadState;
}

/** The result of a finished upload. */
export function resultOf(state: TusUploadState): TusUploadResult {
  const result: TusUploadResult = {
    url: state.url as string,
    name: state.name,
    type: state.type,
    size: state.size as number,
    key: state.key,
  };
  if (typeof state.source === "string") result.path = state.source;
  return result;
}
