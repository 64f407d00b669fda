/**
 * The state codec against a well-kept library for the same job (devalue,
 * which also handles Date, Map, Set, bigint, undefined and typed arrays), and
 * against plain JSON for the states JSON can hold, in the same run.
 *
 *   npx tsx bench/codec.ts
 */
import * as devalue from "devalue";
import { decode, encode } from "../src/codec.ts";

const small = { n: 42, done: false, cursor: "page-7" };
const upload = {
  files: Array.from(
    { length: 50 },
    (_, i) => ({ name: `photo-${i}.jpg`, size: 1000 + i, uploaded: i % 3 === 0, tries: 0 }),
  ),
  startedAt: 1_700_000_000_000,
  errors: [] as string[],
};
const rich = {
  when: new Date(0),
  seen: new Set(Array.from({ length: 50 }, (_, i) => `k${i}`)),
  sizes: new Map(Array.from({ length: 50 }, (_, i) => [`k${i}`, i])),
  big: 12345678901234567890n,
  bytes: new Uint8Array(256),
  missing: undefined,
};

function time(fn: () => void, ms = 300): number {
  for (let i = 0; i < 200; i++) fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
  }
  return ((performance.now() - t0) * 1000) / n; // µs per op
}

console.log("state        op       stater µs   devalue µs   JSON µs   stater/devalue");
for (const [name, value] of Object.entries({ small, upload, rich })) {
  const s = encode(value);
  const d = devalue.stringify(value);
  const jsonable = name !== "rich";
  const j = jsonable ? JSON.stringify(value) : "";
  const rows: [string, number, number, number | undefined][] = [
    [
      "encode",
      time(() => encode(value)),
      time(() => devalue.stringify(value)),
      jsonable ? time(() => JSON.stringify(value)) : undefined,
    ],
    [
      "decode",
      time(() => decode(s)),
      time(() => devalue.parse(d)),
      jsonable ? time(() => JSON.parse(j)) : undefined,
    ],
  ];
  for (const [op, a, b, c] of rows) {
    console.log(
      `${name.padEnd(12)} ${op.padEnd(8)} ${a.toFixed(2).padStart(9)} ${
        b.toFixed(2).padStart(12)
      } ${(c?.toFixed(2) ?? "-").padStart(9)}   ${(a / b).toFixed(2)}×`,
    );
  }
  console.log(
    `${name.padEnd(12)} bytes    ${String(s.length).padStart(9)} ${String(d.length).padStart(12)} ${
      String(j.length || "-").padStart(9)
    }`,
  );
}
