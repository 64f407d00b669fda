/**
 * The IndexedDB driver in Chromium: one task (strict) and 32 tasks at once
 * against a raw idb put-per-transaction loop in the same page, against an
 * idb-keyval `set` per step, and the bundle size of core + driver.
 *
 *   npx tsx bench/indexeddb.ts
 *
 * Prints numbers and ratios measured in this run.
 */

import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { launchChromium, servePage } from "../test/e2e-idb/_harness.ts";

const root = new URL("..", import.meta.url).pathname;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number) => x.toFixed(0).padStart(7);

async function bundleSize(
  contents: string,
): Promise<{ min: number; gzip: number; parts: [string, number][] }> {
  const out = await build({
    stdin: {
      contents,
      resolveDir: root,
      loader: "ts",
    },
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    write: false,
    metafile: true,
  });
  const bytes = out.outputFiles[0]!.contents;
  const inputs = Object.values(out.metafile.outputs)[0]!.inputs;
  const parts = Object.entries(inputs).map(([file, { bytesInOutput }]) =>
    [file, bytesInOutput] as [string, number]
  );
  return {
    min: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    parts: parts.sort((a, b) => b[1] - a[1]),
  };
}

const server = await servePage(`${root}test/e2e-idb/_bench_page.ts`, { minify: true });
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => "bench" in globalThis);
  type Bench = Record<string, (...args: unknown[]) => Promise<number>>;
  const run = (fn: string, ...args: unknown[]) =>
    page.evaluate(
      ([f, a]) =>
        ((globalThis as unknown as { bench: Bench }).bench[f as string]!)(...(a as unknown[])),
      [fn, args] as const,
    );

  const rounds = 5;
  const steps = 1000;
  const results: Record<string, number[]> = {
    raw: [],
    one: [],
    oneRelaxed: [],
    many: [],
    keyval: [],
    rawRelaxed: [],
  };
  await run("raw", 50, "strict"); // warm up
  await run("stater", 1, 50, "strict");
  for (let r = 0; r < rounds; r++) {
    results.raw!.push(await run("raw", steps, "strict"));
    results.one!.push(await run("stater", 1, steps, "strict"));
    results.many!.push(await run("stater", 32, steps, "strict"));
    results.keyval!.push(await run("keyval", steps));
    results.rawRelaxed!.push(await run("raw", steps, "relaxed"));
    results.oneRelaxed!.push(await run("stater", 1, steps, "relaxed"));
  }
  const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)])) as Record<
    string,
    number
  >;
  const size = await bundleSize(
    `export { createEngine } from "./src/mod.ts"; export { indexedDBDriver } from "./drivers/indexeddb/mod.ts";`,
  );
  const core = await bundleSize(`export { createEngine } from "./src/mod.ts";`);
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  console.log(
    `IndexedDB in Chromium (${await browser
      .version()}), ${steps} steps a run, median of ${rounds} runs\n`,
  );
  console.log(`raw idb, one put per transaction, strict   ${fmt(m.raw!)} puts/s   (baseline)`);
  console.log(
    `stater, 1 task, strict                     ${fmt(m.one!)} steps/s  ${
      ratio(m.one!, m.raw!)
    } raw   (goal ≥ 0.8×)`,
  );
  console.log(
    `stater, 32 tasks at once, strict           ${fmt(m.many!)} steps/s  ${
      ratio(m.many!, m.raw!)
    } raw   (goal ≥ 5×)`,
  );
  console.log(`idb-keyval, one set per step               ${fmt(m.keyval!)} sets/s`);
  console.log(
    `  stater 1 task strict vs idb-keyval                     ${
      ratio(m.one!, m.keyval!)
    }       (goal > 1×)`,
  );
  console.log(
    `  stater 1 task relaxed vs idb-keyval                    ${ratio(m.oneRelaxed!, m.keyval!)}`,
  );
  console.log(`raw idb, one put per transaction, relaxed  ${fmt(m.rawRelaxed!)} puts/s`);
  console.log(
    `stater, 1 task, relaxed                    ${fmt(m.oneRelaxed!)} steps/s  ${
      ratio(m.oneRelaxed!, m.rawRelaxed!)
    } raw relaxed`,
  );
  const kb = (b: number) => `${(b / 1024).toFixed(2)} KB`;
  console.log(
    `\ncore + indexeddb driver bundle: ${size.min} B minified, ${size.gzip} B (${
      kb(size.gzip)
    }) gzipped   (goal ≤ 6 KB)`,
  );
  console.log(
    `  of which the core alone (createEngine): ${core.gzip} B (${
      kb(core.gzip)
    }); the driver and idb add ${kb(size.gzip - core.gzip)}`,
  );
  console.log(
    `  largest parts, minified before gzip: ${
      size.parts.slice(0, 6).map(([file, b]) => `${file} ${kb(b)}`).join(", ")
    }`,
  );
} finally {
  await browser.close();
  await server.close();
}
