/**
 * The demos' upload server: a real tus server (`@tus/server` with
 * `@tus/file-store`, unfinished uploads expiring after a day), on 127.0.0.1
 * only, with room for the demo page's own files on the same origin. Runs on
 * Node and on Deno.
 *
 *   const server = await startDemoServer({ port: 0, dir: ".stater/uploads" });
 *   console.log(server.endpoint); // http://127.0.0.1:41234/files
 */
import { mkdir } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { FileStore } from "@tus/file-store";
import { Server } from "@tus/server";
import { namingByUploadKey } from "../src/tus/mod.ts";

/** Answers a request that is not for the tus server; `false` when it has nothing to answer. */
export type PageHandler = (
  req: IncomingMessage,
  res: ServerResponse,
) => boolean | Promise<boolean>;

/** Options of {@linkcode startDemoServer}. */
export interface DemoServerOptions {
  /** The port on 127.0.0.1; `0` picks a free one. @default 0 */
  port?: number;
  /** The folder the uploads land in. @default ".stater/uploads" */
  dir?: string;
  /** How long an unfinished upload is kept, in ms. @default one day */
  expirationMs?: number;
  /** Serves everything outside `/files/`, such as the demo page. */
  pages?: PageHandler;
  /**
   * Hears each piece of a request body the tus server reads, as it arrives:
   * what clients sent, counted at the server (tests count bytes sent again).
   */
  onBody?: (req: IncomingMessage, bytes: number) => void;
  /** `"key"`: uploads named by stater's upload key; `"random"`: the server's own names. @default "key" */
  naming?: "key" | "random";
  /** The largest upload the server takes, in bytes. @default no limit */
  maxSize?: number;
}

/** A running demo server. */
export interface DemoServer {
  /** The origin, such as `http://127.0.0.1:41234/`. */
  url: string;
  /** The tus creation endpoint: `${url}files`. */
  endpoint: string;
  /** The folder the uploads land in (absolute). */
  dir: string;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Calls `hear` with the size of each piece of `req`'s body its reader takes. */
function hearBody(req: IncomingMessage, hear: (req: IncomingMessage, bytes: number) => void) {
  const emit = req.emit;
  req.emit = function (this: IncomingMessage, event: string | symbol, ...args: unknown[]) {
    if (event === "data") hear(req, (args[0] as Uint8Array).byteLength);
    return emit.call(this, event, ...args);
  } as typeof req.emit;
}

/** Starts the demos' tus server; see the module documentation. */
export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const dir = resolve(options.dir ?? ".stater/uploads");
  await mkdir(dir, { recursive: true });
  const tus = new Server({
    path: "/files",
    datastore: new FileStore({
      directory: dir,
      expirationPeriodInMilliseconds: options.expirationMs ?? DAY_MS,
    }),
    // The upload's URL is named by stater's upload key: a second POST for the
    // same file (its first answer lost with the tab) finds the first upload.
    ...(options.naming === "random" ? {} : { namingFunction: namingByUploadKey }),
    ...(options.maxSize !== undefined ? { maxSize: options.maxSize } : {}),
  });
  const http = createServer(async (req, res) => {
    if ((req.url ?? "/").startsWith("/files")) {
      if (options.onBody) hearBody(req, options.onBody);
      return void tus.handle(req, res);
    }
    try {
      if (options.pages && await options.pages(req, res)) return;
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    } catch (error) {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(error));
    }
  });
  await new Promise<void>((done, fail) => {
    http.once("error", fail);
    http.listen(options.port ?? 0, "127.0.0.1", done);
  });
  const sweep = setInterval(() => void tus.cleanUpExpiredUploads().catch(() => {}), 60 * 60_000);
  (sweep as { unref?: () => void }).unref?.();
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/`;
  return {
    url,
    endpoint: `${url}files`,
    dir,
    async close() {
      clearInterval(sweep);
      http.closeAllConnections();
      await new Promise<void>((done) => http.close(() => done()));
    },
  };
}
