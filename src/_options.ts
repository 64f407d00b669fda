/**
 * Checks of driver options that several drivers share, so the same mistake
 * gets the same error from each.
 *
 * @module
 */

/** How durable a commit is when it resolves; see each driver's options. */
export type Durability = "strict" | "relaxed";

/**
 * The durability option of driver `driver` (`"strict"` when omitted).
 *
 * @throws {TypeError} when it is neither `"strict"` nor `"relaxed"`.
 */
export function durabilityOption(driver: string, value: unknown): Durability {
  if (value === undefined) return "strict";
  if (value === "strict" || value === "relaxed") return value;
  throw new TypeError(
    `${driver}'s durability must be "strict" or "relaxed", got ${
      typeof value === "string" ? JSON.stringify(value) : typeof value
    }`,
  );
}
