import type { StoredError } from "./contract.ts";
import type { Clock } from "./options.ts";

/** The platform's clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** A random UUID, from Web Crypto where there is one. */
export function randomId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  let id = "";
  for (let i = 0; i < 32; i++) id += Math.floor(Math.random() * 16).toString(16);
  return `${id.slice(0, 8)}-${id.slice(8, 12)}-4${id.slice(13, 16)}-a${id.slice(17, 20)}-${
    id.slice(20)
  }`;
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function";
}

/** Settles like `promise`, or with `undefined` as soon as `signal` aborts. */
export function untilAborted<T>(
  promise: PromiseLike<T>,
  signal: AbortSignal,
): Promise<T | undefined> {
  if (signal.aborted) {
    Promise.resolve(promise).catch(() => {});
    return Promise.resolve(undefined);
  }
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
    Promise.resolve(promise).then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Turns anything thrown into an `Error`. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  const error = new Error(
    typeof value === "string" ? value : `Non-error thrown: ${safeString(value)}`,
  );
  return error;
}

function safeString(value: unknown): string {
  try {
    return typeof value === "object" ? JSON.stringify(value) ?? String(value) : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** The stored form of an error. */
export function storeError(value: unknown): StoredError {
  const error = toError(value);
  const stored: StoredError = { name: String(error.name), message: String(error.message) };
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") stored.code = code;
  if (typeof error.stack === "string") stored.stack = error.stack;
  return stored;
}

/** An `Error` rebuilt from its stored form. */
export function loadError(stored: StoredError): Error {
  const error = new Error(stored.message);
  error.name = stored.name;
  if (stored.code !== undefined) (error as { code?: string }).code = stored.code;
  if (stored.stack !== undefined) error.stack = stored.stack;
  return error;
}

type Immediate = (fn: () => void) => unknown;

/**
 * Lets the event loop run (timers, I/O, other tasks) and resumes as soon as
 * it can: setImmediate where there is one, else a message on a channel of
 * its own (which keeps the process alive only until it arrives), else a zero
 * timeout.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const immediate = (globalThis as { setImmediate?: Immediate }).setImmediate;
    if (immediate) {
      immediate(resolve);
      return;
    }
    if (typeof MessageChannel === "function") {
      const { port1, port2 } = new MessageChannel();
      port1.onmessage = () => {
        port1.close();
        resolve();
      };
      port2.postMessage(0);
      return;
    }
    setTimeout(resolve, 0);
  });
}

/** The `code` of an error (a native one such as `ENOENT`, or a stater one), when it is a string. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
