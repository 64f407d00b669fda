/**
 * Small assertions for the conformance suite: no runtime-specific API, so the
 * suite runs unchanged under vitest (Node, Chromium) and `deno test`.
 */

export class AssertionError extends Error {
  override name = "AssertionError";
}

function show(value: unknown): string {
  try {
    return typeof value === "bigint"
      ? `${value}n`
      : JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? `${v}n` : v)) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Deep equality that knows Map, Set, Date, bytes, NaN and -0. */
export function equal(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Date) return Object.is(a.getTime(), (b as Date).getTime());
  if (a instanceof Uint8Array) {
    return a.length === (b as Uint8Array).length && a.every((x, i) => x === (b as Uint8Array)[i]);
  }
  if (a instanceof ArrayBuffer) return equal(new Uint8Array(a), new Uint8Array(b as ArrayBuffer));
  if (a instanceof Map) {
    const m = b as Map<unknown, unknown>;
    if (a.size !== m.size) return false;
    const ae = [...a.entries()];
    const be = [...m.entries()];
    return ae.every(([k, v], i) => equal(k, be[i]![0]) && equal(v, be[i]![1]));
  }
  if (a instanceof Set) return equal([...a], [...(b as Set<unknown>)]);
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => equal(x, bb[i]));
  }
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  if (ak.length !== bk.length) return false;
  return ak.every((k) =>
    Object.prototype.hasOwnProperty.call(b, k) && equal((a as never)[k], (b as never)[k])
  );
}

export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function assertEquals(actual: unknown, expected: unknown, message = ""): void {
  if (!equal(actual, expected)) {
    throw new AssertionError(
      `${message ? `${message}: ` : ""}expected ${show(expected)}, got ${show(actual)}`,
    );
  }
}

export async function assertRejects(
  fn: () => Promise<unknown>,
  ErrorClass: abstract new (...args: never[]) => Error,
  includes?: string,
): Promise<Error> {
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  if (!(error instanceof ErrorClass)) {
    throw new AssertionError(
      `expected a ${ErrorClass.name}, got ${
        error === undefined ? "no error" : show(String(error))
      }`,
    );
  }
  if (includes !== undefined && !error.message.includes(includes)) {
    throw new AssertionError(
      `expected the message to include ${show(includes)}, got ${show(error.message)}`,
    );
  }
  return error;
}

export function assertThrows(
  fn: () => unknown,
  ErrorClass: abstract new (...args: never[]) => Error,
  includes?: string,
): Error {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof ErrorClass)) {
      throw new AssertionError(`expected a ${ErrorClass.name}, got ${String(error)}`);
    }
    if (includes !== undefined && !error.message.includes(includes)) {
      throw new AssertionError(
        `expected the message to include ${show(includes)}, got ${show(error.message)}`,
      );
    }
    return error;
  }
  throw new AssertionError(`expected a ${ErrorClass.name}, got no error`);
}

/** Waits until `check` holds, polling; fails after `ms`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  ms = 5000,
  what = "condition",
): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) {
      throw new AssertionError(`timed out after ${ms} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
