/**
 * The state codec: what a state may hold, a checker and a deep copy for it,
 * and a text encoding for the drivers that store bytes (fs, Deno KV).
 *
 * A state may hold JSON values (`-0`, `NaN` and the infinities included),
 * `undefined`, `Date`, `Map`, `Set`, `bigint`, `Uint8Array` and `ArrayBuffer`,
 * nested in plain objects and arrays. Anything else (functions, symbols, class
 * instances, cycles) is refused with a `StateNotStorableError` that names the
 * path of the value inside the state, such as `state.files[3].handle`.
 *
 * The text form is JSON: plain values stay as they are, the others become
 * objects tagged with a `"~"` key (and a plain object that has a `"~"` key of
 * its own is escaped the same way), so a store stays readable with any JSON
 * tool and is parsed by the platform's native `JSON.parse`. Keys such as
 * `__proto__` stay plain data on the way in and out.
 *
 * @example
 * ```ts
 * import { decode, encode } from "stater";
 * const text = encode({ when: new Date(0), tags: new Set(["a"]) });
 * const back = decode(text) as { when: Date; tags: Set<string> };
 * console.log(back.when.getTime(), back.tags.has("a")); // 0 true
 * ```
 *
 * @module
 */

import { StateNotStorableError } from "./errors.ts";

const TAG = "~";
const hasOwn = Object.prototype.hasOwnProperty;
const toStringTag = Object.prototype.toString;

/** Extra values a driver can store as they are (IndexedDB: `Blob`, `File`). */
export type AllowValue = (value: object) => boolean;

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return true;
  // A plain object from another realm (an iframe, a vm context).
  return Object.getPrototypeOf(proto) === null && toStringTag.call(value) === "[object Object]" &&
    typeof proto.constructor === "function" && proto.constructor.name === "Object";
}

function kindOf(value: object): string {
  if (Array.isArray(value)) return "Array";
  if (value instanceof Date) return "Date";
  if (value instanceof Map) return "Map";
  if (value instanceof Set) return "Set";
  if (value instanceof Uint8Array) return "Uint8Array";
  if (value instanceof ArrayBuffer) return "ArrayBuffer";
  if (isPlainObject(value)) return "Object";
  const tag = toStringTag.call(value).slice(8, -1);
  if (tag === "Date" || tag === "Map" || tag === "Set" || tag === "Uint8Array" || tag === "ArrayBuffer") return tag;
  return "";
}

function describe(value: unknown): string {
  if (typeof value === "function") return `a function${value.name ? ` (${value.name})` : ""}`;
  if (typeof value === "symbol") return `a symbol (${String(value.description ?? "")})`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} (copy it into a Uint8Array)`;
  if (typeof value === "object" && value !== null) {
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name;
    return `an instance of ${name || "a class"} (store its plain data instead)`;
  }
  return `a ${typeof value}`;
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

/** Builds a readable path such as `state.files[3].handle` from a key stack. */
function formatPath(root: string, keys: readonly (string | number)[]): string {
  let path = root;
  for (const key of keys) {
    if (typeof key === "number") path += `[${key}]`;
    else if (key.startsWith("\0")) path += key.slice(1);
    else path += IDENT.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  }
  return path;
}

class Walker {
  readonly keys: (string | number)[] = [];
  readonly open = new Set<object>();
  constructor(readonly root: string, readonly allow?: AllowValue) {}

  fail(value: unknown, reason?: string): never {
    throw new StateNotStorableError(formatPath(this.root, this.keys), reason ?? `it is ${describe(value)}`);
  }

  enter(value: object): void {
    if (this.open.has(value)) this.fail(value, "it refers to itself (a cycle); store ids instead of references");
    this.open.add(value);
  }

  /** Validates `value`; returns a deep copy when `copy`, else `value`. */
  visit(value: unknown, copy: boolean): unknown {
    switch (typeof value) {
      case "string":
      case "number":
      case "boolean":
      case "bigint":
      case "undefined":
        return value;
      case "object":
        if (value === null) return value;
        break;
      default:
        this.fail(value);
    }
    const kind = kindOf(value);
    switch (kind) {
      case "Object":
        return this.object(value as Record<string, unknown>, copy);
      case "Array":
        return this.array(value as unknown[], copy);
      case "Date":
        return copy ? new Date((value as Date).getTime()) : value;
      case "Uint8Array":
        return copy ? new Uint8Array(value as Uint8Array) : value;
      case "ArrayBuffer":
        return copy ? (value as ArrayBuffer).slice(0) : value;
      case "Map": {
        this.enter(value);
        const out = copy ? new Map() : undefined;
        let i = 0;
        for (const [k, v] of value as Map<unknown, unknown>) {
          this.keys.push(`\0<Map key ${i}>`);
          const kk = this.visit(k, copy);
          this.keys.pop();
          this.keys.push(`\0.get(${typeof k === "string" ? JSON.stringify(k) : `<key ${i}>`})`);
          const vv = this.visit(v, copy);
          this.keys.pop();
          out?.set(kk, vv);
          i++;
        }
        this.open.delete(value);
        return out ?? value;
      }
      case "Set": {
        this.enter(value);
        const out = copy ? new Set() : undefined;
        let i = 0;
        for (const v of value as Set<unknown>) {
          this.keys.push(`\0<Set value ${i++}>`);
          out?.add(this.visit(v, copy));
          this.keys.pop();
        }
        this.open.delete(value);
        return out ?? value;
      }
    }
    if (this.allow?.(value)) return value;
    return this.fail(value);
  }

  object(value: Record<string, unknown>, copy: boolean): unknown {
    this.enter(value);
    if (Object.getOwnPropertySymbols(value).length > 0) {
      this.fail(value, "it has symbol-keyed properties, which cannot be stored");
    }
    const out: Record<string, unknown> | undefined = copy ? {} : undefined;
    for (const key in value) {
      if (!hasOwn.call(value, key)) continue;
      this.keys.push(key);
      const v = this.visit(value[key], copy);
      this.keys.pop();
      if (out) setOwn(out, key, v);
    }
    this.open.delete(value);
    return out ?? value;
  }

  array(value: unknown[], copy: boolean): unknown {
    this.enter(value);
    const n = value.length;
    const out = copy ? new Array(n) : undefined;
    for (let i = 0; i < n; i++) {
      this.keys.push(i);
      const v = this.visit(value[i], copy);
      this.keys.pop();
      if (out) out[i] = v;
    }
    this.open.delete(value);
    return out ?? value;
  }
}

/** Defines `key` as plain data, even when it is `__proto__`. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else target[key] = value;
}

/**
 * A quick pass for the common case (plain objects, arrays and primitives, not
 * too deep): true when `value` is surely storable. False means "look closer".
 */
function quickCheck(value: unknown, depth: number): boolean {
  if (typeof value !== "object" || value === null) {
    return typeof value !== "function" && typeof value !== "symbol";
  }
  if (depth > 32) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!quickCheck(value[i], depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const key in value) {
    if (hasOwn.call(value, key) && !quickCheck((value as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return Object.getOwnPropertySymbols(value).length === 0;
}

/** The quick pass's copy; `undefined` (as `NOPE`) when it must look closer. */
const NOPE: unique symbol = Symbol("nope");
function quickClone(value: unknown, depth: number): unknown {
  if (typeof value !== "object" || value === null) {
    return typeof value === "function" || typeof value === "symbol" ? NOPE : value;
  }
  if (depth > 32) return NOPE;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const v = quickClone(value[i], depth + 1);
      if (v === NOPE) return NOPE;
      out[i] = v;
    }
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return NOPE;
  const out: Record<string, unknown> = {};
  for (const key in value) {
    if (!hasOwn.call(value, key)) continue;
    const v = quickClone((value as Record<string, unknown>)[key], depth + 1);
    if (v === NOPE || key === "__proto__") return NOPE;
    out[key] = v;
  }
  if (Object.getOwnPropertySymbols(value).length !== 0) return NOPE;
  return out;
}

/**
 * Throws a `StateNotStorableError` naming the path of the first value inside
 * `value` that cannot be stored. `root` names the value itself in the path
 * (default `"state"`); `allow` admits extra values as they are.
 */
export function checkStorable(value: unknown, root = "state", allow?: AllowValue): void {
  if (typeof value !== "object" || value === null) {
    if (typeof value === "function" || typeof value === "symbol") new Walker(root).fail(value);
    return;
  }
  if (quickCheck(value, 0)) return;
  new Walker(root, allow).visit(value, false);
}

/** A deep copy of a storable value; throws like {@linkcode checkStorable}. */
export function cloneStorable<T>(value: T, root = "state"): T {
  if (typeof value !== "object" || value === null) {
    checkStorable(value, root);
    return value;
  }
  const quick = quickClone(value, 0);
  if (quick !== NOPE) return quick as T;
  return new Walker(root).visit(value, true) as T;
}

// ---- text encoding ----

function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + chunk) as unknown as number[]);
  }
  return btoa(binary);
}

function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

class Encoder extends Walker {
  tagged = false;

  tag(tag: string, v?: unknown): unknown {
    this.tagged = true;
    return v === undefined ? { [TAG]: tag } : { [TAG]: tag, v };
  }

  json(value: unknown): unknown {
    switch (typeof value) {
      case "string":
      case "boolean":
        return value;
      case "number":
        if (Number.isFinite(value) && !Object.is(value, -0)) return value;
        return this.tag("n", Object.is(value, -0) ? "-0" : String(value));
      case "bigint":
        return this.tag("b", value.toString());
      case "undefined":
        return this.tag("u");
      case "object":
        if (value === null) return null;
        break;
      default:
        this.fail(value);
    }
    const kind = kindOf(value);
    switch (kind) {
      case "Object": {
        const obj = value as Record<string, unknown>;
        this.enter(obj);
        if (Object.getOwnPropertySymbols(obj).length > 0) {
          this.fail(obj, "it has symbol-keyed properties, which cannot be stored");
        }
        let out: Record<string, unknown> | unknown[][];
        if (hasOwn.call(obj, TAG)) {
          const entries: unknown[][] = [];
          for (const key in obj) {
            if (!hasOwn.call(obj, key)) continue;
            this.keys.push(key);
            entries.push([key, this.json(obj[key])]);
            this.keys.pop();
          }
          out = this.tag("o", entries) as Record<string, unknown>;
        } else {
          out = {};
          for (const key in obj) {
            if (!hasOwn.call(obj, key)) continue;
            this.keys.push(key);
            setOwn(out, key, this.json(obj[key]));
            this.keys.pop();
          }
        }
        this.open.delete(obj);
        return out;
      }
      case "Array": {
        const arr = value as unknown[];
        this.enter(arr);
        const out = new Array(arr.length);
        for (let i = 0; i < arr.length; i++) {
          this.keys.push(i);
          out[i] = this.json(arr[i]);
          this.keys.pop();
        }
        this.open.delete(arr);
        return out;
      }
      case "Date": {
        const t = (value as Date).getTime();
        return this.tag("d", Number.isNaN(t) ? null : t);
      }
      case "Uint8Array":
        return this.tag("u8", bytesToBase64(value as Uint8Array));
      case "ArrayBuffer":
        return this.tag("ab", bytesToBase64(new Uint8Array(value as ArrayBuffer)));
      case "Map": {
        this.enter(value);
        const entries: unknown[] = [];
        let i = 0;
        for (const [k, v] of value as Map<unknown, unknown>) {
          this.keys.push(`\0<Map key ${i}>`);
          const kk = this.json(k);
          this.keys.pop();
          this.keys.push(`\0.get(${typeof k === "string" ? JSON.stringify(k) : `<key ${i}>`})`);
          entries.push([kk, this.json(v)]);
          this.keys.pop();
          i++;
        }
        this.open.delete(value);
        return this.tag("m", entries);
      }
      case "Set": {
        this.enter(value);
        const values: unknown[] = [];
        let i = 0;
        for (const v of value as Set<unknown>) {
          this.keys.push(`\0<Set value ${i++}>`);
          values.push(this.json(v));
          this.keys.pop();
        }
        this.open.delete(value);
        return this.tag("s", values);
      }
    }
    return this.fail(value);
  }
}

/**
 * Turns a storable value into a JSON-compatible tree (see the module doc).
 * Returns the tree and whether it holds tags (when not, `fromJSONValue` is
 * the identity and may be skipped).
 */
export function toJSONValue(value: unknown, root = "state"): { json: unknown; tagged: boolean } {
  const encoder = new Encoder(root);
  const json = encoder.json(value);
  return { json, tagged: encoder.tagged };
}

function revive(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i]);
    return value;
  }
  const obj = value as Record<string, unknown>;
  if (hasOwn.call(obj, TAG)) {
    const v = obj.v;
    switch (obj[TAG]) {
      case "u":
        return undefined;
      case "n":
        return v === "-0" ? -0 : Number(v);
      case "b":
        return BigInt(v as string);
      case "d":
        return new Date(v === null ? NaN : (v as number));
      case "u8":
        return base64ToBytes(v as string);
      case "ab": {
        const bytes = base64ToBytes(v as string);
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      }
      case "m":
        return new Map((v as unknown[][]).map(([k, x]) => [revive(k), revive(x)]));
      case "s":
        return new Set((v as unknown[]).map(revive));
      case "o": {
        const out: Record<string, unknown> = {};
        for (const [k, x] of v as [string, unknown][]) setOwn(out, k, revive(x));
        return out;
      }
      default:
        throw new TypeError(`Unknown stored value tag ${JSON.stringify(obj[TAG])}`);
    }
  }
  for (const key in obj) {
    if (!hasOwn.call(obj, key)) continue;
    const v = obj[key];
    if (typeof v === "object" && v !== null) setOwn(obj, key, revive(v));
  }
  return obj;
}

/** The inverse of {@linkcode toJSONValue}; it may reuse the tree's objects. */
export function fromJSONValue(json: unknown): unknown {
  return revive(json);
}

/**
 * Encodes a storable value as text; throws `StateNotStorableError` naming
 * the path of what cannot be stored (`root` names the value itself).
 */
export function encode(value: unknown, root = "state"): string {
  if (typeof value === "string" || typeof value === "boolean" || value === null) return JSON.stringify(value);
  return JSON.stringify(toJSONValue(value, root).json);
}

/** Decodes the text of {@linkcode encode}. Throws `SyntaxError` on text that is not JSON. */
export function decode(text: string): unknown {
  const json = JSON.parse(text);
  // Every tag is written as a `"~"` key: without one, there is nothing to revive.
  return text.includes('"~"') ? revive(json) : json;
}
