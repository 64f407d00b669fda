/**
 * The Chromium tests' global setup, on Node: a real tus server (uploads
 * named by key) behind the fault layer, and a small control server the pages
 * ask what the server received and tell which requests to break:
 *
 * - `GET /state`: `{ received, requests, uploads }` (`uploads`: id, size and
 *   sha256 of each upload the server holds)
 * - `POST /inject` with `{ method, status?, drop?, hold?, times? }`: answer the
 *   next such requests with `status`, break their connections, or hold them
 * - `POST /release`: break the connections of the requests held
 * - `POST /reset`: forget the counts and the rules
 */

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";
import { startFaultLayer } from "../_faults.ts";
import { sha256, startTusServer } from "../_server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** The tus creation endpoint, through the fault layer. */
    tusEndpoint: string;
    /** The control server's address. */
    tusControl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startTusServer({ naming: "key" });
  const faults = await startFaultLayer(server.endpoint);
  const held: (() => void)[] = [];
  const control = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", async () => {
      const headers = { "access-control-allow-origin": "*", "content-type": "application/json" };
      if (req.method === "POST" && req.url === "/inject") {
        const { method, status, drop, hold, times = 1 } = JSON.parse(body);
        if (hold) {
          const onHold = (breakIt: () => void) => void held.push(breakIt);
          faults.inject({ method }, { holdAfterBytes: 1, onHold }, times);
        } else faults.inject({ method }, drop ? { dropAfterBytes: 1 } : { answer: status }, times);
      } else if (req.method === "POST" && req.url === "/release") {
        for (const breakIt of held.splice(0)) breakIt();
      } else if (req.method === "POST" && req.url === "/reset") {
        faults.received.clear();
        faults.requests.length = 0;
      }
      const uploads = [];
      for (const id of await server.uploads()) {
        const bytes = await server.bytes(id);
        uploads.push({ id, size: bytes.length, sha256: sha256(bytes) });
      }
      res.writeHead(200, headers).end(JSON.stringify({
        received: Object.fromEntries(faults.received),
        requests: faults.requests.map(({ method, id, offset, status }) => ({
          method,
          id,
          offset,
          status,
        })),
        uploads,
        held: held.length,
      }));
    });
  });
  await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));
  project.provide("tusEndpoint", faults.endpoint);
  project.provide("tusControl", `http://127.0.0.1:${(control.address() as AddressInfo).port}`);
  return async () => {
    control.closeAllConnections();
    await new Promise<void>((resolve) => control.close(() => resolve()));
    await faults.close();
    await server.close();
  };
}
