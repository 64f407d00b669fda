/**
 * The codec's text of plain JSON is written without building a tree (a
 * speed-up of the fs and Deno KV drivers' commits); the text must stay byte
 * for byte what the tree gives, for every value, plain or not.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encode, encodeRecordBody, type TaskRecord, toJSONValue } from "../src/driver.ts";

/** The text as the codec defines it: the tree of `toJSONValue`, stringified. */
function treeText(value: unknown): string {
  return JSON.stringify(toJSONValue(value).json);
}

function treeBody(record: TaskRecord): string {
  const { state, result, ...fields } = record;
  const parts: unknown[] = [toJSONValue(fields, "record").json, toJSONValue(state).json];
  if ("result" in record) parts.push(toJSONValue(result, "result").json);
  return JSON.stringify(parts);
}

/** The outcome of `fn`: its text, or the message of what it threw. */
function outcome(fn: () => string): string {
  try {
    return `text ${fn()}`;
  } catch (error) {
    return `error ${(error as Error).name}: ${(error as Error).message}`;
  }
}

const values = fc.oneof(
  fc.jsonValue(),
  fc.anything({
    withBigInt: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withSparseArray: true,
    withTypedArray: true,
    withObjectString: true,
  }),
  fc.dictionary(fc.constantFrom("~", "v", "__proto__", "a"), fc.jsonValue()),
  fc.array(fc.oneof(fc.double(), fc.constant(undefined), fc.constant(-0))),
);

describe("the codec's fast path for plain JSON", () => {
  it("encodes every value exactly as the codec's tree does", () => {
    fc.assert(
      fc.property(values, (value) => {
        expect(outcome(() => encode(value))).toBe(outcome(() => treeText(value)));
      }),
      { numRuns: 2000 },
    );
  });

  it("encodes every record body exactly as the codec's tree does", () => {
    const records = fc.record({
      id: fc.string(),
      work: fc.string(),
      status: fc.constantFrom("pending", "running", "done"),
      state: values,
      step: fc.nat(),
      rev: fc.nat(),
      createdAt: fc.double(),
      updatedAt: fc.nat(),
      progress: fc.option(fc.record({ done: fc.double(), total: fc.option(fc.nat()) }), {
        nil: undefined,
      }),
      result: values,
    }, {
      requiredKeys: ["id", "work", "status", "state", "step", "rev", "createdAt", "updatedAt"],
    });
    fc.assert(
      fc.property(records, (record) => {
        const r = record as unknown as TaskRecord;
        expect(outcome(() => encodeRecordBody(r))).toBe(outcome(() => treeBody(r)));
      }),
      { numRuns: 2000 },
    );
  });
});
