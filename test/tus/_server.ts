/**
 * A real tus server for the tests and benches: the demos' server
 * (`@tus/server` with `@tus/file-store`, expiration on) in a temporary
 * folder, on 127.0.0.1 and a free port, with ways to read what it holds.
 * Runs on Node and on Deno.
 */

import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDemoServer } from "../../demo/tus-server.ts";

/** Options of {@linkcode startTusServer}. */
export interface TusServerOptions {
  /** `"key"`: uploads are named by stater's upload key; `"random"`: the server's default. */
  naming?: "key" | "random";
  /** How long an unfinished upload lives, in ms. @default one hour */
  expirationMs?: number;
  /** The largest upload the server takes, in bytes. */
  maxSize?: number;
  /** The folder in which its store folder is made. @default the system's temporary folder */
  parent?: string;
}

/** A running tus server. */
export interface TusServer {
  /** The creation endpoint, such as `http://127.0.0.1:41234/files`. */
  endpoint: string;
  /** Where the uploads are stored. */
  dir: string;
  /** The ids of the uploads the server holds. */
  uploads(): Promise<string[]>;
  /** The bytes of an upload, by its id or URL. */
  bytes(idOrUrl: string): Promise<Uint8Array>;
  /** What the server keeps about an upload (size, metadata), by its id or URL. */
  info(idOrUrl: string): Promise<{ size: number; metadata: Record<string, string | null> }>;
  /** Stops the server and deletes its folder. */
  close(): Promise<void>;
}

/** The sha256 of some bytes, in hex. */
export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The upload id at the end of an upload URL. */
export function idOf(url: string): string {
  return new URL(url).pathname.split("/").pop()!;
}

const toId = (idOrUrl: string) => (idOrUrl.includes("/") ? idOf(idOrUrl) : idOrUrl);

/** Starts a real tus server; see the module documentation. */
export async function startTusServer(options: TusServerOptions = {}): Promise<TusServer> {
  const dir = await mkdtemp(join(options.parent ?? tmpdir(), "stater-tus-"));
  const server = await startDemoServer({
    dir,
    expirationMs: options.expirationMs ?? 60 * 60 * 1000,
    naming: options.naming ?? "random",
    ...(options.maxSize !== undefined ? { maxSize: options.maxSize } : {}),
  });
  return {
    endpoint: server.endpoint,
    dir,
    async uploads() {
      const names = await readdir(dir);
      return names.filter((n) => n.endsWith(".json")).map((n) => n.slice(0, -5)).sort();
    },
    async bytes(idOrUrl) {
      return new Uint8Array(await readFile(join(dir, toId(idOrUrl))));
    },
    async info(idOrUrl) {
      return JSON.parse(await readFile(join(dir, `${toId(idOrUrl)}.json`), "utf8"));
    },
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
