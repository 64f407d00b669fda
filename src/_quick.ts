/**
 * The fast paths of the state checks: plain objects, arrays and primitives
 * not too deep, checked, copied or recognised as plain JSON without the
 * walker that names paths (which `_storable.ts` falls back to).
 *
 * @module
 */

/** `Object.prototype.hasOwnProperty`, to call on any object. */
export const hasOwn = Object.prototype.hasOwnProperty;

/** The key that tags a non-JSON value in the codec's text form (see `codec.ts`). */
export const TAG = "~";

/**
 * A quick pass for the common case (plain objects, arrays and primitives, not
 * too deep): true when `value` is surely storable. False means "look closer".
 */
export function quickCheck(value: unknown, depth: number): boolean {
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
    if (
      hasOwn.call(value, key) && !quickCheck((value as Record<string, unknown>)[key], depth + 1)
    ) return false;
  }
  return Object.getOwnPropertySymbols(value).length === 0;
}

/** The quick pass's copy; `undefined` (as `NOPE`) when it must look closer. */
export const NOPE: unique symbol = Symbol("nope");
export function quickClone(value: unknown, depth: number): unknown {
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
 * Whether the codec keeps `value` exactly as it is: strings, booleans,
 * `null`, finite numbers other than `-0`, and arrays and plain objects of
 * those (no holes or `undefined`, no `"~"` or symbol keys), not deeper than
 * 32. Then `JSON.stringify(value)` is the codec's text for it, with no tree
 * built on the way.
 */
export function isPlainJSON(value: unknown, depth = 0): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value) && (value !== 0 || 1 / value > 0);
    case "object":
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (depth > 32) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isPlainJSON(value[i], depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const key in value) {
    if (!hasOwn.call(value, key)) continue;
    if (key === TAG || !isPlainJSON((value as Record<string, unknown>)[key], depth + 1)) {
      return false;
    }
  }
  return Object.getOwnPropertySymbols(value).length === 0;
}
