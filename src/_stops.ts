/**
 * Why a run stops, which stops win over others, and which abort the step in
 * flight (through `ctx.signal`) instead of letting it finish.
 *
 * @module
 */

/** Why a run stops. */
export type Stop =
  | "yield"
  | "close"
  | "pause"
  | "pause-immediate"
  | "cancel"
  | "lost"
  | "remove";

/** A stronger stop replaces a weaker one asked before it. */
const STOP_RANK: Record<Stop, number> = {
  /** Let another engine have it (balance): commit, release, stand by. */
  yield: 0,
  close: 1,
  pause: 2,
  "pause-immediate": 3,
  cancel: 4,
  lost: 5,
  remove: 6,
};
const ABORT_REASONS: Partial<Record<Stop, string>> = {
  "pause-immediate": "paused",
  cancel: "canceled",
  remove: "removed",
  lost: "taken over by another owner",
};

/** The stop that holds once `kind` is asked while `current` holds. */
export function stronger(current: Stop | undefined, kind: Stop): Stop {
  return !current || STOP_RANK[kind] > STOP_RANK[current] ? kind : current;
}

/** Words for the abort reason of a step aborted by `kind`; `undefined`: it is not aborted. */
export function abortsStep(kind: Stop): string | undefined {
  return ABORT_REASONS[kind];
}

/** An `AbortError` with `message`, as `ctx.signal.reason`. */
export function abortReason(message: string): Error {
  try {
    return new DOMException(message, "AbortError");
  } catch {
    return Object.assign(new Error(message), { name: "AbortError" });
  }
}
