/**
 * {@linkcode tusWork}: the work function that uploads one file to a tus
 * server, a request a step, committed after each.
 *
 * @module
 */

import { defineWork, type Done, type StepContext, type Work } from "../mod.ts";
import { TusError } from "./errors.ts";
import { advance, at, type Run } from "./_advance.ts";
import { whenOnline } from "./_online.ts";
import { Interrupted, type Transport } from "./_protocol.ts";
import { terminateUpload } from "./_requests.ts";
import { isBlob, type TusUploadResult, type TusUploadState } from "./state.ts";

/** Headers as a plain object. */
export type HeaderRecord = Record<string, string>;

/** Options of {@linkcode tusWork}. */
export interface TusWorkOptions {
  /**
   * Headers sent with every request (an `Authorization`, say), or a function
   * of the state that returns them, asked for before each request. They are
   * never stored.
   */
  headers?: HeaderRecord | ((state: TusUploadState) => HeaderRecord | Promise<HeaderRecord>);
  /** The `fetch` to use. @default globalThis.fetch, looked up at each request */
  fetch?: typeof fetch;
  /**
   * While `navigator.onLine` is false, wait (without using up retries) and go
   * on at the `online` event. A pause, a cancel or a close ends the wait.
   * @default true
   */
  waitOnline?: boolean;
  /** How long to keep asking again while the server answers `423 Locked`, in ms. @default 30000 */
  lockedTimeoutMs?: number;
  /** How long `cancel()` and `remove()` wait for the server to answer the `DELETE`, in ms. @default 10000 */
  deleteTimeoutMs?: number;
}

/** The work function of {@linkcode tusWork}, with its cleanup hook. */
export type TusWork = Work<TusUploadState, Promise<TusUploadState | Done<TusUploadResult>>>;

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
function checkState(state: unknown): TusUploadState {
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
  if (!complete && !isBlob(s.source) && (typeof s.source !== "string" || s.source === "")) {
    throw badState(s, "its state has no file (state.source is missing)");
  }
  return s as TusUploadState;
}

function checkMs(name: string, value: unknown): void {
  if (typeof value !== "number" || !(value >= 0)) {
    throw new RangeError(`tusWork's ${name} must be a number of ms ≥ 0, got ${String(value)}`);
  }
}

function resultOf(state: TusUploadState): TusUploadResult {
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

/**
 * The work function that uploads one file to a tus 1.0 server. Give it a
 * name in `createEngine({ work })` and create one task per file with a state
 * from `tusUpload()` (or `addUploads()`). Steps run at least once, so each
 * is safe to repeat: the upload URL is committed right after the `POST`,
 * the offset after every `PATCH`, and a step that may follow a crash asks the
 * server for its offset (`HEAD`) before it sends anything. `cancel()`, and
 * `remove()` of an unfinished task, terminate the upload (`DELETE`).
 *
 * Server errors (5xx) and network failures are thrown as retryable, so the
 * engine retries them with its `retry` backoff: give uploads more than the
 * default three attempts. A refusal that cannot be mended (other 4xx) fails
 * the task at once with a {@linkcode TusError} naming the file and the answer.
 *
 * @example
 * ```ts
 * import { createEngine } from "stater";
 * import { memoryDriver } from "stater/drivers/memory";
 * import { tusUpload, tusWork } from "stater/tus";
 *
 * const engine = await createEngine({
 *   driver: memoryDriver(),
 *   work: { upload: tusWork({ headers: { Authorization: "Bearer …" } }) },
 *   retry: { maxAttempts: 10, initialDelayMs: 1000, maxDelayMs: 60_000 },
 *   concurrency: 4,
 * });
 * const state = tusUpload("./photos/cat.jpg", { endpoint: "https://uploads.example.com/files/" });
 * const task = await engine.create("upload", state, { start: false });
 * console.log(task.status); // pending
 * await engine.close();
 * ```
 */
export function tusWork(options: TusWorkOptions = {}): TusWork {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("tusWork(options) needs an options object");
  }
  const { headers, waitOnline = true, lockedTimeoutMs = 30_000, deleteTimeoutMs = 10_000 } =
    options;
  if (headers !== undefined && typeof headers !== "object" && typeof headers !== "function") {
    throw new TypeError("tusWork's headers must be an object or a function that returns one");
  }
  checkMs("lockedTimeoutMs", lockedTimeoutMs);
  checkMs("deleteTimeoutMs", deleteTimeoutMs);
  const fetchFn: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  /** The states whose offset the server confirmed in this process (the steps' own outputs). */
  const confirmed = new WeakSet<TusUploadState>();
  const headersOf = async (state: TusUploadState) =>
    typeof headers === "function" ? await headers(state) : headers ?? {};
  const transport = (state: TusUploadState, signal: AbortSignal, wait: boolean): Transport => ({
    fetch: fetchFn,
    headers: () => headersOf(state),
    signal,
    file: state.name,
    waitOnline: wait,
    lockedTimeoutMs,
  });

  const step = async (input: TusUploadState, ctx: StepContext) => {
    const state = checkState(input);
    // Taken out first: only the step that produced this state, in this process, may skip the HEAD.
    let known = confirmed.delete(state) && ctx.attempt === 1;
    if (state.url !== undefined && state.offset === state.size) {
      if (isBlob(state.source)) return at(state, state.offset);
      ctx.progress(state.size, state.size);
      return ctx.done(resultOf(state));
    }
    const run: Run = {
      transport: transport(state, ctx.signal, waitOnline),
      ctx,
      confirm(next) {
        confirmed.add(next);
        return next;
      },
    };
    for (;;) {
      try {
        return await advance(run, state, known);
      } catch (error) {
        if (!(error instanceof Interrupted)) throw error;
        // Offline in the middle of a request: wait for the network, then ask the server again.
        await whenOnline(ctx.signal);
        known = false;
      }
    }
  };

  return defineWork(step, {
    async cleanup(state) {
      if (typeof state?.url !== "string") return;
      const signal = AbortSignal.timeout(deleteTimeoutMs);
      await terminateUpload(transport(state, signal, false), state.url);
    },
  });
}
