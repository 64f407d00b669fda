/**
 * Serves a page that runs stater on the IndexedDB driver from 127.0.0.1
 * (IndexedDB needs an http origin), and launches Debian's Chromium through
 * Playwright. Used by the end-to-end tests and by bench/indexeddb.ts.
 */

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { build } from "esbuild";
import { type Browser, chromium } from "playwright";

/** The Chromium on PATH (or /usr/bin/chromium); throws, loudly, when there is none. */
export function chromiumPath(): string {
  let found = "";
  try {
    found = execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim();
  } catch { /* not on PATH */ }
  if (!found && existsSync("/usr/bin/chromium")) found = "/usr/bin/chromium";
  if (!found) {
    throw new Error(
      "Chromium is missing: install Debian's chromium package so that `chromium` is on PATH",
    );
  }
  return found;
}

/** Launches headless Chromium with the flags this machine needs. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A running page server. */
export interface PageServer {
  /** The page's address, such as `http://127.0.0.1:41234/`. */
  url: string;
  /** What pages posted to `/log` (parsed JSON objects, with `at`: when it arrived), in arrival order. */
  log: Record<string, unknown>[];
  /** Stops the server. */
  close(): Promise<void>;
}

/**
 * Bundles `entry` with esbuild (minified or not) and serves it as the module
 * script of `/`; a page may POST JSON to `/log`.
 */
export async function servePage(entry: string, { minify = false } = {}): Promise<PageServer> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify,
    write: false,
  });
  const script = out.outputFiles[0]!.text;
  const html =
    `<!doctype html><meta charset="utf-8"><title>stater</title><script type="module" src="/page.js"></script>`;
  const log: Record<string, unknown>[] = [];
  const server: Server = createServer((req, res) => {
    if (req.method === "POST" && req.url === "/log") {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        log.push({ ...JSON.parse(body), at: Date.now() });
        res.writeHead(204).end();
      });
      return;
    }
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/page.js") res.writeHead(200, { "content-type": "text/javascript" }).end(script);
    else if (path === "/") res.writeHead(200, { "content-type": "text/html" }).end(html);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    log,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Resolves with `fn()`'s first truthy value, polling every 25 ms; throws after `ms`, naming `what`. */
export async function until<T>(
  fn: () => Promise<T | undefined | false>,
  ms: number,
  what: string,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > end) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
