/** Helpers for the Chromium tests of stater/tus: the control server, files, engines. */

import { inject } from "vitest";
import { createEngine, type Engine } from "../../../src/mod.ts";
import { indexedDBDriver } from "../../../drivers/indexeddb/mod.ts";
import { type TusWork, tusWork, type TusWorkOptions } from "../../../src/tus/mod.ts";

/** The tus creation endpoint (through the fault layer). */
export const endpoint = inject("tusEndpoint");

/** What the server side saw and holds. */
export interface ServerState {
  received: Record<string, number>;
  requests: { method: string; id?: string; offset?: number; status?: number }[];
  uploads: { id: string; size: number; sha256: string }[];
  /** Requests held, waiting for `/release`. */
  held: number;
}

/** Asks the control server. */
export async function control(
  path: "/state" | "/reset" | "/inject" | "/release",
  body?: unknown,
): Promise<ServerState> {
  const response = await fetch(`${inject("tusControl")}${path}`, {
    method: path === "/state" ? "GET" : "POST",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return await response.json();
}

/** A File of `size` pseudo-random bytes. */
export function randomFile(name: string, size: number, type = "application/octet-stream"): File {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65_536) crypto.getRandomValues(bytes.subarray(i, i + 65_536));
  return new File([bytes], name, { type, lastModified: 1_700_000_000_000 + size });
}

/** The sha256 of a Blob, in hex. */
export async function sha256(blob: Blob): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await blob.arrayBuffer()));
  return [...digest].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** An engine on the IndexedDB driver with `tusWork()` as `upload`. */
export function openEngine(
  name: string,
  options: { work?: TusWorkOptions; concurrency?: number; maxAttempts?: number } = {},
): Promise<Engine<{ upload: TusWork }>> {
  return createEngine({
    driver: indexedDBDriver({ name }),
    work: { upload: tusWork(options.work) },
    retry: { maxAttempts: options.maxAttempts ?? 5, initialDelayMs: 10, maxDelayMs: 100 },
    concurrency: options.concurrency ?? 4,
    closeTimeoutMs: 0,
  });
}

/** The upload id at the end of an upload URL. */
export function idOf(url: string): string {
  return new URL(url).pathname.split("/").pop()!;
}

/** Runs `op` on the default kept-files database (the raw IndexedDB API, as another tab would). */
function onKeptFiles<T>(
  mode: IDBTransactionMode,
  op: (store: IDBObjectStore) => IDBRequest,
): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const opening = indexedDB.open("stater-files");
    opening.onsuccess = () => {
      const db = opening.result;
      if (!db.objectStoreNames.contains("files")) {
        db.close();
        return resolve(undefined);
      }
      const request = op(db.transaction("files", mode).objectStore("files"));
      request.onsuccess = () => {
        db.close();
        resolve(request.result);
      };
      request.onerror = () => reject(request.error);
    };
    opening.onerror = () => reject(opening.error);
  });
}

/** What the default kept-files database holds under `key`. */
export function keptFile(key: string): Promise<Blob | undefined> {
  return onKeptFiles("readonly", (store) => store.get(key));
}

/** Deletes what the default kept-files database holds under `key` (a file lost). */
export async function deleteKeptFile(key: string): Promise<void> {
  await onKeptFiles("readwrite", (store) => store.delete(key));
}
