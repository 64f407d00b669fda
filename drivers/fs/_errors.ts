/**
 * Native file-system errors (ENOENT, EACCES, ENOSPC, …) mapped to stater's
 * `DriverError`, with a message that names the driver, the file and what to do.
 *
 * @module
 */

import { DriverError, errorCode, StaterError } from "../../src/driver.ts";

const ADVICE: Record<string, string> = {
  ENOSPC: "the disk is full: free some space, then resume the paused tasks",
  EDQUOT:
    "the disk quota is exhausted: free some space or raise the quota, then resume the paused tasks",
  EACCES:
    "permission denied: give this process read and write access to the store folder, or pick another dir",
  EPERM:
    "the operation is not permitted: give this process read and write access to the store folder, or pick another dir",
  EROFS: "the file system is read-only: pick a dir on a writable file system",
  EEXIST: "a file stands where the store folder should be: pick another dir",
  ENOTDIR: "a part of the path is a file, not a folder: pick another dir",
  EISDIR: "a folder stands where the store expects a file: move it away, or pick another dir",
  ENOENT:
    "a file or folder is missing: check that dir exists and is not removed while the store is open",
  EMFILE: "this process has too many open files: close some, or raise its limit",
  EIO:
    "the disk reported an I/O error: check the disk; the store keeps every commit made before it",
};

/**
 * `error` as a stater error: stater errors pass through, native ones become a
 * `DriverError` whose `code` is the native code (such as `"ENOSPC"`).
 * `action` says what failed, such as `"append to /data/active.log"`.
 */
export function mapFsError(error: unknown, action: string): StaterError {
  if (error instanceof StaterError) return error;
  const code = errorCode(error);
  const advice = (code && ADVICE[code]) ??
    `${error instanceof Error ? error.message : String(error)}`;
  return new DriverError(
    "fs",
    `The fs driver could not ${action}${code ? ` (${code})` : ""}: ${advice}`,
    {
      cause: error,
      code: code ?? "DRIVER_ERROR",
    },
  );
}
