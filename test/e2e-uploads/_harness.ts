/**
 * The uploads demo end to end: its server (demo/uploads/serve.ts, with the
 * real tus server of demo/tus-server.ts) on port 0 in a folder of its own,
 * counting the bytes every upload receives; test files of random sizes; and
 * the checks of what landed on the server.
 */
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright";
import { afterAll, beforeAll } from "vitest";
import { startUploadsDemo, type UploadsDemo } from "../../demo/uploads/serve.ts";
import { launchChromium, until } from "../e2e-idb/_harness.ts";

export { until };

/** The chunk size of the tests: small, so that files span many chunks with a small total. */
export const CHUNK = 256 * 1024;

/** A test file, as Playwright's `setInputFiles` takes it. */
export interface TestFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

/** A running demo and what its uploads received. */
export interface Demo extends UploadsDemo {
  /** Bytes of `PATCH` bodies received, in all. */
  patched(): number;
  /** Stops the server and deletes its folder. */
  stop(): Promise<void>;
}

/**
 * Starts the demo on 127.0.0.1, port 0, in a fresh folder. With `pace`, the
 * server reads each request body at about that many bytes per second (for a
 * service worker, which DevTools' throttling of a page does not slow).
 */
export async function startDemo({ pace }: { pace?: number } = {}): Promise<Demo> {
  const dir = await mkdtemp(join(tmpdir(), "stater-e2e-uploads-"));
  let patched = 0;
  const demo = await startUploadsDemo({
    port: 0,
    dir,
    chunkSize: CHUNK,
    onBody: (req, bytes) => {
      if (req.method !== "PATCH") return;
      patched += bytes;
      if (!pace) return;
      req.pause();
      setTimeout(() => req.resume(), (1000 * bytes) / pace);
    },
  });
  return {
    ...demo,
    patched: () => patched,
    async stop() {
      await demo.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `count` files of random sizes up to `max` bytes (a few of them large), random bytes each. */
export function testFiles(count: number, prefix: string, max = 3 * 1024 * 1024): TestFile[] {
  return Array.from({ length: count }, (_, i) => {
    const size = i % 5 === 0
      ? Math.round(max * (0.6 + 0.4 * Math.random())) // several spanning many chunks
      : Math.round(1024 + Math.random() * (max / 4));
    const buffer = Buffer.alloc(size);
    for (let at = 0; at < size; at += 65_536) {
      globalThis.crypto.getRandomValues(buffer.subarray(at, Math.min(size, at + 65_536)));
    }
    return {
      name: `${prefix}-${String(i).padStart(2, "0")}.bin`,
      mimeType: "application/x-test",
      buffer,
    };
  });
}

/** The total size of `files`. */
export const totalOf = (files: TestFile[]) => files.reduce((sum, f) => sum + f.buffer.length, 0);

/** Opens the page at `url` in `context` and waits until its engine is attached. */
export async function openPage(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector("body[data-ready]", { timeout: 30_000 });
  return page;
}

/** Picks `files` in the page's file input, as a person would. */
export async function pick(page: Page, files: TestFile[]): Promise<void> {
  await page.setInputFiles("#files", files);
}

/** The page's count of files and of files done, from its summary. */
export async function summary(page: Page): Promise<{ files: number; done: number }> {
  const data = await page.locator("#summary").evaluate((element: HTMLElement) => ({
    ...element.dataset,
  }));
  return { files: Number(data.files), done: Number(data.done) };
}

/** Waits until the page shows `count` files, all done; else says what the page shows. */
export async function allDone(page: Page, count: number, ms = 90_000): Promise<void> {
  try {
    await until(
      async () => {
        const { files, done } = await summary(page);
        return files === count && done === count;
      },
      ms,
      `${count} files done on the page`,
    );
  } catch (error) {
    const seen = await page.evaluate(() => ({
      summary: document.querySelector("#summary")?.textContent,
      rows: [...document.querySelectorAll<HTMLElement>(".row")].map((row) =>
        `${row.querySelector(".name")?.textContent}: ${row.querySelector(".info")?.textContent}`
      ),
      activity: [...document.querySelectorAll("#activity li")].slice(0, 20).map((li) =>
        li.textContent
      ),
    })).catch(() => undefined);
    throw new Error(`${(error as Error).message}; the page shows ${JSON.stringify(seen, null, 1)}`);
  }
}

/** The statuses of the page's rows, by file name. */
export function statuses(page: Page): Promise<Record<string, string>> {
  return page.$$eval(".row", (rows) =>
    Object.fromEntries(rows.map((row) => [
      row.querySelector(".name")!.textContent!,
      (row as HTMLElement).dataset.status!,
    ])));
}

/** The uploads on the server: file name → the upload ids holding it, and their sha256. */
export async function landed(
  dir: string,
): Promise<Map<string, { id: string; size: number; offset: number; sha256: string }[]>> {
  const found = new Map<string, { id: string; size: number; offset: number; sha256: string }[]>();
  for (const entry of await readdir(dir)) {
    if (!entry.endsWith(".json")) continue;
    const info = JSON.parse(await readFile(join(dir, entry), "utf8")) as {
      id: string;
      size: number;
      offset: number;
      metadata: { filename: string };
    };
    const bytes = await readFile(join(dir, info.id)).catch(() => Buffer.alloc(0));
    const list = found.get(info.metadata.filename) ?? [];
    list.push({ id: info.id, size: info.size, offset: bytes.length, sha256: sha256(bytes) });
    found.set(info.metadata.filename, list);
  }
  return found;
}

/** The hex sha256 of `bytes`. */
export const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/**
 * Checks that every file landed once, byte for byte; returns what is wrong,
 * an empty list when nothing is.
 */
export async function mismatches(dir: string, files: TestFile[]): Promise<string[]> {
  const uploads = await landed(dir);
  const wrong: string[] = [];
  for (const file of files) {
    const found = uploads.get(file.name) ?? [];
    if (found.length !== 1) wrong.push(`${file.name}: ${found.length} uploads`);
    else if (found[0]!.sha256 !== sha256(file.buffer)) {
      wrong.push(`${file.name}: ${found[0]!.offset} of ${file.buffer.length} bytes, other bytes`);
    }
  }
  return wrong;
}

/**
 * Slows the page's uploads to `bytesPerSecond` (DevTools network throttling),
 * so that the tests can interrupt them in the middle with small files.
 */
export async function throttle(page: Page, bytesPerSecond: number): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: bytesPerSecond,
  });
}

/** The browser and the demo of a test file. */
export interface Run {
  browser: Browser;
  demo: Demo;
}

/**
 * Starts the demo before the file's tests, and launches Chromium unless
 * `launch` is false; stops both after.
 */
export function useDemo(options: { pace?: number; launch?: boolean } = {}): Run {
  const run = {} as Run;
  beforeAll(async () => {
    [run.browser, run.demo] = await Promise.all([
      options.launch === false ? (undefined as never) : launchChromium(),
      startDemo(options),
    ]);
  }, 60_000);
  afterAll(async () => {
    await run.browser?.close();
    await run.demo?.stop();
  });
  return run;
}

/**
 * A fresh browser context with the demo page open at `url` (the tabs
 * variant by default), its uploads slowed to `bytesPerSecond` when given,
 * and `files` picked in it.
 */
export async function begin(
  run: Run,
  files: TestFile[],
  { url = run.demo.page, bytesPerSecond }: { url?: string; bytesPerSecond?: number } = {},
): Promise<{ context: BrowserContext; page: Page; total: number }> {
  const context = await run.browser.newContext();
  const page = await openPage(context, url);
  if (bytesPerSecond) await throttle(page, bytesPerSecond);
  await pick(page, files);
  return { context, page, total: totalOf(files) };
}
