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
 * import { decode, encode } from "stater/driver";
 * const text = encode({ when: new Date(0), tags: new Set(["a"]) });
 * const back = decode(text) as { when: Date; tags: Set<string> };
 * console.log(back.when.getTime(), back.tags.has("a")); // 0 true
 * ```
 *
 * @module
 */

import {
  type AllowValue,
  checkStorable,
  cloneStorable,
  hasOwn,
  kindOf,
  setOwn,
  Walker,
} from "./_storable.ts";

export { type AllowValue, checkStorable, cloneStorable };

const TAG = "~";
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
  if (typeof value === "string" || typeof value === "boolean" || value === null) {
    return JSON.stringify(value);
  }
  return JSON.stringify(toJSONValue(value, root).json);
}

/** Decodes the text of {@linkcode encode}. Throws `SyntaxError` on text that is not JSON. */
export function decode(text: string): unknown {
  const json = JSON.parse(text);
  // Every tag is written as a `"~"` key: without one, there is nothing to revive.
  return text.includes('"~"') ? revive(json) : json;
}
