/**
 * Failures that tests inject into the fs driver (`createFsDriver(options,
 * faults)`), at each point where it writes. Not part of the public API.
 *
 * @module
 */

/**
 * A point of replacing a file atomically (a compaction's segment, then its
 * journal): `before-…` fails that operation before it takes effect,
 * `after-…` once it took effect (a rename done, then reported failed).
 * `…-reopen` is the journal's only: opening the new journal for appending.
 */
export type ReplacePoint =
  | "before-write"
  | "after-write"
  | "before-fsync"
  | "after-fsync"
  | "before-rename"
  | "after-rename"
  | "before-folder-sync"
  | "after-folder-sync"
  | "before-reopen"
  | "after-reopen";

/** Failures to inject in tests (each hook that throws fails the operation there), and a clock. */
export interface FsFaults {
  /** Called before appending a commit to `file`. */
  beforeAppend?(file: string): void;
  /** Called at each point of replacing `file`. */
  atReplace?(point: ReplacePoint, file: string): void;
  /** Compact once the journal passes this many bytes (instead of 2 MiB), so tests compact often. */
  compactMinBytes?: number;
  /** The clock (ms) that times how long blocking commits hold the event loop, so tests are exact. */
  now?(): number;
}

/** The hook of `faults` for replacing `file`, as `replaceFile` takes it. */
export function replaceFault(
  faults: FsFaults,
  file: string,
): ((point: ReplacePoint) => void) | undefined {
  const hook = faults.atReplace;
  return hook && ((point) => hook(point, file));
}
