/**
 * What a state may hold, and the walk that checks and copies it. Private to
 * the core: `codec.ts` exports the public functions.
 *
 * @module
 */

import { StateNotStorableError } from "./errors.ts";
import { hasOwn, isPlainJSON, NOPE, quickCheck, quickClone, TAG } from "./_quick.ts";

export { hasOwn, isPlainJSON, TAG };
const toStringTag = Object.prototype.toString;

/** Extra values a driver can store as they are (IndexedDB: `Blob`, `File`). */
export type AllowValue = (value: object) => boolean;

export function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return true;
  // A plain object from another realm (an iframe, a vm context).
  return Object.getPrototypeOf(proto) === null && toStringTag.call(value) === "[object Object]" &&
    typeof proto.constructor === "function" && proto.constructor.name === "Object";
}

export function kindOf(value: object): string {
  if (Array.isArray(value)) return "Array";
  if (value instanceof Date) return "Date";
  if (value instanceof Map) return "Map";
  if (value instanceof Set) return "Set";
  if (value instanceof Uint8Array) return "Uint8Array";
  if (value instanceof ArrayBuffer) return "ArrayBuffer";
  if (isPlainObject(value)) return "Object";
  const tag = toStringTag.call(value).slice(8, -1);
  if (
    tag === "Date" || tag === "Map" || tag === "Set" || tag === "Uint8Array" ||
    tag === "ArrayBuffer"
  ) return tag;
  return "";
}

function describe(value: unknown): string {
  if (typeof value === "function") return `a function${value.name ? ` (${value.name})` : ""}`;
  if (typeof value === "symbol") return `a symbol (${String(value.description ?? "")})`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} (copy it into a Uint8Array)`;
  if (typeof value === "object" && value !== null) {
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)
      ?.constructor?.name;
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

export class Walker {
  readonly keys: (string | number)[] = [];
  readonly open = new Set<object>();
  constructor(readonly root: string, readonly allow?: AllowValue) {}

  fail(value: unknown, reason?: string): never {
    throw new StateNotStorableError(
      formatPath(this.root, this.keys),
      reason ?? `it is ${describe(value)}`,
    );
  }

  enter(value: object): void {
    if (this.open.has(value)) {
      this.fail(value, "it refers to itself (a cycle); store ids instead of references");
    }
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
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else target[key] = value;
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
