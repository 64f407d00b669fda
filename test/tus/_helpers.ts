/** Helpers for the tus tests on Node: files, stores, and the server with its fault layer. */

import { randomBytes } from "node:crypto";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect } from "vitest";
import {
  createEngine,
  type CreateOptions,
  type Engine,
  type RetryOptions,
  type Task,
  TaskFailedError,
} from "../../src/mod.ts";
import { fsDriver } from "../../drivers/fs/mod.ts";
import {
  TusError,
  tusUpload,
  type TusWork,
  tusWork,
  type TusWorkOptions,
  type UploadTask,
} from "../../src/tus/mod.ts";
import { type FaultLayer, type SeenRequest, startFaultLayer } from "./_faults.ts";
import { idOf, startTusServer, type TusServer, type TusServerOptions } from "./_server.ts";

/** A tus server with a fault layer in front. */
export interface Setup {
  server: TusServer;
  faults: FaultLayer;
  /** The endpoint through the fault layer. */
  endpoint: string;
  /** A fresh temporary folder (deleted after the test). */
  dir: string;
  /** Writes a file of `size` random bytes in `dir`; its path and bytes. */
  file(name: string, size: number): Promise<{ path: string; bytes: Uint8Array }>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Starts a server and its fault layer for one test; both stop after it. */
export async function setup(options: TusServerOptions = {}): Promise<Setup> {
  const server = await startTusServer(options);
  cleanups.push(() => server.close());
  const faults = await startFaultLayer(server.endpoint);
  cleanups.push(() => faults.close());
  const dir = await mkdtemp(join(tmpdir(), "stater-tus-test-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return {
    server,
    faults,
    endpoint: faults.endpoint,
    dir,
    async file(name, size) {
      const bytes = new Uint8Array(randomBytes(size));
      const path = join(dir, name);
      await writeFile(path, bytes);
      return { path, bytes };
    },
  };
}

/** Registers a cleanup to run after the current test. */
export function later(cleanup: () => Promise<void>): void {
  cleanups.push(cleanup);
}

/** An engine on the fs driver in `dir`/store, `tusWork()` as `upload`; closed after the test. */
export async function openEngine(
  dir: string,
  options: { retry?: RetryOptions; work?: TusWorkOptions; store?: string } = {},
) {
  const engine = await createEngine({
    driver: fsDriver({ dir: join(dir, options.store ?? "store") }),
    work: { upload: tusWork(options.work) },
    retry: options.retry ?? { maxAttempts: 5, initialDelayMs: 10, maxDelayMs: 50 },
  });
  later(() => engine.close());
  return engine;
}

/** The requests the layer saw, as `"METHOD offset status"` lines (for readable failures). */
export function trace(faults: FaultLayer): string[] {
  return faults.requests.map((r) => `${r.method} ${r.offset ?? "-"} ${r.status ?? "broken"}`);
}

/** Pauses `task` (plainly, or at once) when the server answers the `nth` `PATCH`; resolves then. */
export function pauseAtPatch(
  faults: FaultLayer,
  nth: number,
  task: () => Task | undefined,
  immediate = false,
): Promise<void> {
  let seen = 0;
  return new Promise((resolve, reject) => {
    faults.inject((r) => r.method === "PATCH" && ++seen === nth, {
      onAnswer: () => void task()?.pause({ immediate }).then(resolve, reject),
    });
  });
}

/** Sends `bytes` from `offset` to the upload at `url` on the server itself, as another client. */
export async function patchDirectly(
  server: TusServer,
  url: string,
  bytes: Uint8Array,
  offset: number,
  length: number,
): Promise<number> {
  const response = await fetch(`${server.endpoint}/${idOf(url)}`, {
    method: "PATCH",
    headers: {
      "Tus-Resumable": "1.0.0",
      "Upload-Offset": String(offset),
      "Content-Type": "application/offset+octet-stream",
    },
    body: bytes.slice(offset, offset + length),
  });
  return response.status;
}

/** Resolves once the server has written `bytes` bytes of the upload `url` to its disk. */
export async function untilServerHas(server: TusServer, url: string, bytes: number): Promise<void> {
  const end = Date.now() + 10_000;
  while ((await stat(join(server.dir, idOf(url)))).size < bytes) {
    if (Date.now() > end) throw new Error(`the server never got ${bytes} bytes of ${url}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Matches the `nth` request of `method` (counting from 1) the layer sees. */
export function nth(method: string, n: number): (request: SeenRequest) => boolean {
  let seen = 0;
  return (request) => request.method === method && ++seen === n;
}

/** Starts the upload of `path` to `endpoint` in chunks of `chunkSize`. */
export function upload(
  engine: Engine<{ upload: TusWork }>,
  endpoint: string,
  path: string,
  chunkSize = 16_384,
  options: CreateOptions = {},
): Promise<UploadTask> {
  return engine.create("upload", tusUpload(path, { endpoint, chunkSize }), options);
}

/** The error a failed upload task rejects with: the step's `TusError`. */
export async function failure(result: Promise<unknown>): Promise<TusError> {
  const error = await result.then(() => undefined, (e) => e);
  expect(error).toBeInstanceOf(TaskFailedError);
  expect((error as TaskFailedError).cause).toBeInstanceOf(TusError);
  return (error as TaskFailedError).cause as TusError;
}
