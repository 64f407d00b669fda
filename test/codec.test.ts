import { describe, expect, it } from "vitest";
import { StateNotStorableError } from "../src/mod.ts";
import { checkStorable, cloneStorable, decode, encode } from "../src/driver.ts";

const everything = () => ({
  s: "text",
  n: 1.25,
  neg0: -0,
  nan: NaN,
  inf: Infinity,
  big: -(2n ** 70n),
  nil: null,
  undef: undefined,
  b: false,
  date: new Date(86_400_000),
  bad: new Date(NaN),
  map: new Map<unknown, unknown>([[{ k: 1 }, [1]], ["x", undefined]]),
  set: new Set([1, "1", 1n]),
  bytes: new Uint8Array([0, 127, 128, 255]),
  buf: new Uint8Array([1, 2]).buffer,
  arr: [1, [2, [3, undefined]], { deep: new Map([["m", new Set([new Date(0)])]]) }],
  tag: { "~": "u", v: "not a tag" },
  sparse: [1, , 3],
});

describe("the state codec", () => {
  it("round-trips every storable kind of value through text", () => {
    const value = everything();
    const back = decode(encode(value)) as ReturnType<typeof everything>;
    expect(back).toEqual({ ...value, sparse: [1, undefined, 3] });
    expect(Object.is(back.neg0, -0)).toBe(true);
    expect(back.map).toBeInstanceOf(Map);
    expect(back.buf).toBeInstanceOf(ArrayBuffer);
    expect(Number.isNaN(back.bad.getTime())).toBe(true);
  });

  it("deep-copies with cloneStorable, sharing nothing", () => {
    const value = everything();
    const copy = cloneStorable(value);
    expect(copy).toEqual(value);
    expect(copy.arr).not.toBe(value.arr);
    expect(copy.bytes).not.toBe(value.bytes);
    (value.arr[1] as unknown[]).push("more");
    expect(copy.arr[1]).toEqual([2, [3, undefined]]);
  });

  it("keeps __proto__ keys as plain data, with no prototype pollution", () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": "yes"}, "a": {"__proto__": {"x": 1}}}');
    for (
      const back of [decode(encode(hostile)), cloneStorable(hostile)] as Record<string, unknown>[]
    ) {
      expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
      expect(Object.keys(back)).toEqual(["__proto__", "a"]);
      expect(Object.getOwnPropertyDescriptor(back, "__proto__")?.value).toEqual({
        polluted: "yes",
      });
      expect((back as { polluted?: string }).polluted).toBeUndefined();
    }
    expect(({} as { polluted?: string }).polluted).toBeUndefined();
    expect(decode('{"~":"o","v":[["__proto__",{"evil":1}]]}')).toEqual(
      JSON.parse('{"__proto__":{"evil":1}}'),
    );
    expect(({} as { evil?: number }).evil).toBeUndefined();
  });

  it("refuses functions, symbols, class instances and cycles, naming the path", () => {
    class Handle {}
    const cycle: { a: unknown[] } = { a: [] };
    cycle.a.push(cycle);
    const cases: [unknown, string, RegExp][] = [
      [{ files: [0, 1, 2, { handle: new Handle() }] }, "state.files[3].handle", /Handle/],
      [{ "a b": { fn() {} } }, 'state["a b"].fn', /function/],
      [{ s: Symbol("q") }, "state.s", /symbol/],
      [{ m: new Map([[1, new WeakMap()]]) }, "state.m.get(<key 0>)", /WeakMap/],
      [{ t: new Float64Array(2) }, "state.t", /Uint8Array/],
      [cycle, "state.a[0]", /cycle/],
      [{ [Symbol("k")]: 1 }, "state", /symbol-keyed/],
      [{ e: new Error("x") }, "state.e", /Error/],
    ];
    for (const [value, path, reason] of cases) {
      for (
        const fn of [() => checkStorable(value), () => cloneStorable(value), () => encode(value)]
      ) {
        let error: unknown;
        try {
          fn();
        } catch (e) {
          error = e;
        }
        expect(error, path).toBeInstanceOf(StateNotStorableError);
        expect((error as StateNotStorableError).path).toBe(path);
        expect((error as Error).message).toMatch(reason);
      }
    }
  });

  it("names the root it is given", () => {
    expect(() => checkStorable(() => 1, "result")).toThrow(/^result cannot be stored/);
  });

  it("accepts a shared (non-cyclic) reference twice", () => {
    const shared = { x: 1 };
    expect(decode(encode({ a: shared, b: shared }))).toEqual({ a: { x: 1 }, b: { x: 1 } });
  });

  it("admits extra values through allow", () => {
    class Blobby {}
    expect(() => checkStorable({ b: new Blobby() }, "state", (v) => v instanceof Blobby)).not
      .toThrow();
  });

  it("reports a store value with an unknown tag as a TypeError, not a crash deep inside", () => {
    expect(() => decode('{"~":"zz"}')).toThrow(TypeError);
  });
});
