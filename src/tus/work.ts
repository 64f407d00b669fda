/**
 * {@linkcode tusWork}: the work function that uploads one file to a tus
 * server, a request a step, committed after each.
 *
 * @module
 */

import { isBlob, isKept } from "./_util.ts";
import { defineWork, type Done, type StepContext, type Work } from "../mod.ts";
import { advance, at, type Run } from "./_advance.ts";
import { checkState, resultOf } from "./_check.ts";
import { KeptFiles, keptFiles } from "./_files.ts";
import { whenOnline } from "./_online.ts";
import { Interrupted, type Transport } from "./_protocol.ts";
import { terminateUpload } from "./_requests.ts";
import { type KeptFile, type TusUploadResult, type TusUploadState } from "./state.ts";

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
  /**
   * How long `cancel()` and `remove()` wait for the server to answer the
   * `DELETE`, in ms.
   * @default 10000
   */
  deleteTimeoutMs?: number;
  /**
   * The IndexedDB database in which the first step keeps a state's `Blob`,
   * apart from the task's record, or `false` to leave it in the state. A
   * record that holds a `Blob` has it written out again at every commit (in
   * Chromium, about 1 ms per MiB of file per chunk), so keeping it apart is
   * what makes large files cheap; where there is no IndexedDB, or keeping
   * fails (a full quota), the `Blob` stays in the state.
   * @default "stater-files"
   */
  keepFiles?: string | false;
}

/** The work function of {@linkcode tusWork}, with its cleanup hook. */
export type TusWork = Work<TusUploadState, Promise<TusUploadState | Done<TusUploadResult>>>;

function checkMs(name: string, value: unknown, finite: boolean): void {
  if (typeof value !== "number" || !(value >= 0) || (finite && value === Infinity)) {
    throw new RangeError(`tusWork's ${name} must be a number of ms ≥ 0, got ${String(value)}`);
  }
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
  const {
    headers,
    waitOnline = true,
    lockedTimeoutMs = 30_000,
    deleteTimeoutMs = 10_000,
    keepFiles = "stater-files",
  } = options;
  if (keepFiles !== false && (typeof keepFiles !== "string" || keepFiles === "")) {
    throw new TypeError("tusWork's keepFiles must be a database name or false");
  }
  if (headers !== undefined && typeof headers !== "object" && typeof headers !== "function") {
    throw new TypeError("tusWork's headers must be an object or a function that returns one");
  }
  checkMs("lockedTimeoutMs", lockedTimeoutMs, false);
  checkMs("deleteTimeoutMs", deleteTimeoutMs, true);
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

  /** Set once keeping a Blob apart failed here, so that the next uploads do not try again. */
  let keepingFailed = false;

  /** Keeps a state's Blob apart; what the state then names, or `undefined` if it cannot. */
  const keep = async (key: string, blob: Blob): Promise<KeptFile | undefined> => {
    if (keepFiles === false || keepingFailed || !KeptFiles.available()) return undefined;
    try {
      await keptFiles(keepFiles).put(key, blob);
      return { keptIn: keepFiles, key };
    } catch {
      keepingFailed = true;
      return undefined;
    }
  };

  /** `state` naming its kept file instead of holding the Blob (confirmed if `state` was). */
  const withKept = (state: TusUploadState, source: KeptFile) => {
    const next = { ...state, source };
    if (confirmed.delete(state)) confirmed.add(next);
    return next;
  };

  /**
   * Finishes a complete upload: the task ends with the result, and its kept
   * file is deleted alongside the final commit rather than before it (one
   * round trip less per file; should the page die in between, the file stays
   * behind, and nothing else is lost).
   */
  const finish = (state: TusUploadState, ctx: StepContext) => {
    if (isKept(state.source)) {
      void keptFiles(state.source.keptIn).delete(state.source.key).catch(() => {});
    }
    return ctx.done(resultOf(state));
  };

  const step = async (input: TusUploadState, ctx: StepContext) => {
    const state = checkState(input);
    // Taken out first: only the step that produced this state, in this process, may skip the HEAD.
    let known = confirmed.delete(state) && ctx.attempt === 1;
    if (state.url !== undefined && state.offset === state.size) {
      // A finished task keeps its last state: a complete one first commits itself without its Blob.
      if (isBlob(state.source)) return at(state, state.offset);
      ctx.progress(state.offset, state.size);
      return finish(state, ctx);
    }
    // A Blob is kept apart while the upload is created (or on its own, in the middle of one).
    const keeping = isBlob(state.source) ? keep(state.key, state.source) : undefined;
    if (keeping && state.url !== undefined) {
      const source = await keeping;
      if (source) {
        if (known) confirmed.add(state);
        return withKept(state, source);
      }
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
        let next = await advance(run, state, known);
        const source = await keeping;
        if (source) next = withKept(next, source);
        // Done with the last chunk, unless the state holds a Blob: then the state without it is
        // committed first, and the next step finishes.
        const done = next.url !== undefined && next.offset === next.size;
        return done && !isBlob(state.source) ? finish(next, ctx) : next;
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
      try {
        if (typeof state?.url !== "string") return;
        const signal = AbortSignal.timeout(deleteTimeoutMs);
        await terminateUpload(transport(state, signal, false), state.url);
      } finally {
        if (isKept(state?.source)) await keptFiles(state.source.keptIn).delete(state.source.key);
      }
    },
  });
}
