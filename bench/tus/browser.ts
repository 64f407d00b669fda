/**
 * stater/tus on the IndexedDB driver (strict durability, a commit after every
 * chunk, the Files stored in IndexedDB first) against tus-js-client in the
 * same headless Chromium page: the same Files, the same real tus server (in
 * a process of its own), the same chunk size and number of uploads at once,
 * run alternately. Then a run reloaded in the middle: the bytes the server
 * received beyond the files' sizes are the bytes sent again.
 *
 *   npx tsx bench/tus/browser.ts
 */

import { rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { launchChromium, servePage } from "../../test/e2e-idb/_harness.ts";
import { startFaultLayer } from "../../test/tus/_faults.ts";
import {
  alternate,
  CHUNK,
  CONCURRENCY,
  describeRuns,
  FILE_SIZE,
  FILES,
  makeFiles,
  MiB,
  printComparison,
  ROUNDS,
  startServer,
} from "./_shared.ts";

const server = await startServer();
const page = await servePage(fileURLToPath(new URL("./_page.ts", import.meta.url)), {
  minify: true,
});
const browser = await launchChromium();
const bytes = FILES * FILE_SIZE;
const files = await makeFiles(FILES, FILE_SIZE);
try {
  const tab = await browser.newPage();
  await tab.goto(page.url);
  await tab.waitForFunction(() => "bench" in globalThis);
  type Bench = Record<string, (...args: unknown[]) => Promise<number>>;
  const run = <T = number>(fn: string, ...args: unknown[]) =>
    tab.evaluate(
      ([f, a]) =>
        ((globalThis as unknown as { bench: Bench }).bench[f as string]!)(...(a as unknown[])),
      [fn, args] as const,
    ) as Promise<T>;

  await tab.setInputFiles("#files", files.paths);
  await run("useInputFiles");
  await run("stater", server.endpoint, CHUNK, CONCURRENCY, -1); // warm up both
  await server.clear();
  await run("tusJs", server.endpoint, CHUNK, CONCURRENCY);
  await server.clear();
  const runs = await alternate(ROUNDS, bytes, {
    tusJs: () => run("tusJs", server.endpoint, CHUNK, CONCURRENCY),
    stater: (round) => run("stater", server.endpoint, CHUNK, CONCURRENCY, round),
    kept: (round) => run("stater", server.endpoint, CHUNK, CONCURRENCY, round, true),
    relaxed: (round) => run("stater", server.endpoint, CHUNK, CONCURRENCY, round, false, "relaxed"),
  }, server.clear);
  console.log(describeRuns(`Chromium ${browser.version()}`));
  printComparison(["tus-js-client (anchor)", runs.tusJs], [
    ["stater/tus, IndexedDB strict, commit/chunk", runs.stater],
    ["  the same, timed once the Files were kept", runs.kept],
    ["stater/tus, IndexedDB relaxed, commit/chunk", runs.relaxed],
  ]);

  // A reload in the middle of the uploads, through the counting layer.
  const faults = await startFaultLayer(server.endpoint);
  try {
    await run("startReload", faults.endpoint, CHUNK, CONCURRENCY);
    const half = bytes / 2;
    while ([...faults.received.values()].reduce((a, b) => a + b, 0) < half) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await tab.reload();
    await tab.waitForFunction(() => "bench" in globalThis);
    const sizes = await run<number[]>("finishReload", CONCURRENCY);
    const received = [...faults.received.values()].reduce((a, b) => a + b, 0);
    const total = sizes.reduce((a, b) => a + b, 0);
    const again = received - total;
    console.log(
      `\nreload at half way: ${sizes.length} files done, ${
        (again / MiB).toFixed(2)
      } MiB sent again = ${(again / CHUNK).toFixed(2)} chunks for ${CONCURRENCY} files in flight` +
        `   (goal ≤ 1 chunk per file in flight)`,
    );
  } finally {
    await faults.close();
  }
} finally {
  await browser.close();
  await page.close();
  server.close();
  await rm(files.dir, { recursive: true, force: true });
}
