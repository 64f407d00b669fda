/**
 * The tus 1.0 requests (core protocol with the creation and termination
 * extensions) over `fetch`, and what their answers mean for an upload.
 *
 * `send` waits while offline, waits out `423 Locked` answers, and turns a
 * failed request into a {@linkcode TusError} (`retryable` for 5xx and
 * network trouble) or, when the platform went offline meanwhile, into an
 * {@linkcode Interrupted} that the step answers by waiting for the network.
 *
 * @module
 */

import { TusError } from "./errors.ts";
import { isOffline, whenOnline } from "./_online.ts";

/** How the requests of one step are made. */
export interface Transport {
  fetch: typeof fetch;
  /** Extra headers (authorization, …), asked for before each request. */
  headers(): Promise<Record<string, string>>;
  signal: AbortSignal;
  /** The file's name, for error messages. */
  file: string;
  waitOnline: boolean;
  lockedTimeoutMs: number;
}

/** A request body: a `Blob` slice, bytes, or a stream of a file's bytes (Node). */
export interface Chunk {
  body: Blob | Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array>;
  /** Its length in bytes. */
  length: number;
}

/** A request failed because the platform went offline: wait for the network, then ask again. */
export class Interrupted extends Error {
  override name = "Interrupted";
}

const LOCKED_FIRST_DELAY_MS = 250;
const LOCKED_MAX_DELAY_MS = 4000;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(handle);
      reject(signal.reason);
    };
    const handle = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Sends one tus request; see the module documentation. */
export async function send(
  transport: Transport,
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: () => Promise<Chunk>,
): Promise<Response> {
  const { signal } = transport;
  const lockedUntil = Date.now() + transport.lockedTimeoutMs;
  for (let delay = LOCKED_FIRST_DELAY_MS;; delay = Math.min(delay * 2, LOCKED_MAX_DELAY_MS)) {
    if (transport.waitOnline) await whenOnline(signal);
    let response: Response;
    try {
      const chunk = await body?.();
      const init: RequestInit & { duplex?: "half" } = {
        method,
        headers: { ...(await transport.headers()), "Tus-Resumable": "1.0.0", ...headers },
        body: chunk?.body,
        signal,
        cache: "no-store",
      };
      if (chunk?.body instanceof ReadableStream) {
        // A stream has no length of its own: Node sends this one, Deno sends the body chunked.
        init.duplex = "half";
        (init.headers as Record<string, string>)["Content-Length"] = String(chunk.length);
      }
      response = await transport.fetch(url, init);
    } catch (error) {
      if (signal.aborted) throw signal.reason ?? error;
      if (transport.waitOnline && isOffline()) throw new Interrupted("offline");
      throw new TusError(
        "TUS_NETWORK_ERROR",
        `Uploading "${transport.file}": ${method} ${url} got no answer (${
          (error as Error)?.message ?? String(error)
        })`,
        { file: transport.file, method, url, retryable: true, cause: error },
      );
    }
    if (response.status !== 423) return response;
    await response.body?.cancel();
    if (Date.now() + delay > lockedUntil) {
      throw new TusError(
        "TUS_LOCKED",
        `Uploading "${transport.file}": the server kept ${url} locked (423) for more than ` +
          `${transport.lockedTimeoutMs} ms`,
        { file: transport.file, method, url, status: 423, retryable: true },
      );
    }
    await sleep(delay, signal);
  }
}

/** The error for an answer the upload cannot use; `retryable` for 5xx, 408 and 429. */
export async function refusal(
  transport: Transport,
  method: string,
  url: string,
  response: Response,
): Promise<TusError> {
  let text = "";
  try {
    text = (await response.text()).trim().slice(0, 200);
  } catch { /* the body is only for the message */ }
  const status = response.status;
  const retryable = status >= 500 || status === 408 || status === 429;
  const answer = `${status}${response.statusText ? ` ${response.statusText}` : ""}${
    text ? `: ${JSON.stringify(text)}` : ""
  }`;
  return new TusError(
    retryable ? "TUS_SERVER_ERROR" : "TUS_REFUSED",
    `Uploading "${transport.file}" failed: the server answered ${method} ${url} with ${answer}`,
    { file: transport.file, method, url, status, retryable },
  );
}

/** A protocol error: the server's answer makes no sense for this upload. */
export function protocolError(
  transport: Transport,
  method: string,
  url: string,
  what: string,
): TusError {
  return new TusError(
    "TUS_PROTOCOL_ERROR",
    `Uploading "${transport.file}" stopped: the server's answer to ${method} ${url} ${what}`,
    { file: transport.file, method, url, retryable: false },
  );
}

/** A non-negative whole number from a header, or `undefined`. */
export function headerNumber(response: Response, name: string): number | undefined {
  const text = response.headers.get(name);
  if (text === null || !/^\d+$/.test(text.trim())) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

function base64(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The `Upload-Metadata` header: comma-separated `key base64(value)` pairs (a bare key for ""). */
export function encodeMetadata(entries: Record<string, string>): string {
  return Object.entries(entries)
    .map(([key, value]) => (value === "" ? key : `${key} ${base64(value)}`))
    .join(",");
}
