/**
 * A fault-injecting HTTP layer in front of a real tus server: it forwards
 * every request to the server and passes its answer back, except for the
 * requests it was told to break (answer 409, 423, 5xx… itself, drop the
 * connection in the middle of a body, change an answer's headers, or run a
 * hook, such as a SIGKILL of the client, once the server answered).
 *
 * It counts the `PATCH` body bytes it forwarded to the server per upload, so
 * tests can tell that no byte was sent twice.
 */

import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A request as the layer saw it. */
export interface SeenRequest {
  method: string;
  /** The upload id (the last part of the path), when the path has one. */
  id: string | undefined;
  /** The request's `Upload-Offset`. */
  offset: number | undefined;
  /** The request's headers. */
  headers: IncomingMessage["headers"];
  /** The status passed back, once known (`undefined` when the connection broke). */
  status?: number;
  /** Body bytes forwarded to the server. */
  bytes: number;
  /** Whether the layer broke or answered it itself. */
  faulted: boolean;
}

/** What to do to a request. */
export interface Fault {
  /** Answer with this status instead of forwarding: the server never sees the request. */
  answer?: number;
  /** The answer's body and headers, with `answer`. */
  body?: string;
  headers?: Record<string, string>;
  /** Forward, and break both connections once this many body bytes went through… */
  dropAfterBytes?: number;
  /** …and once this resolves (say, once the server wrote them). */
  beforeDrop?: () => Promise<void>;
  /**
   * Forward this many body bytes, then stop reading the body and call
   * `onHold`: the request stays in flight until the client gives up on it,
   * or until `onHold`'s `breakIt` breaks both connections.
   */
  holdAfterBytes?: number;
  onHold?: (breakIt: () => void) => void;
  /** Forward, then break the connection instead of passing the server's answer on. */
  dropAnswer?: boolean;
  /** Forward, then change the answer's headers before passing it on (a lying server). */
  rewrite?: (headers: Record<string, string>, request: SeenRequest) => void;
  /** Runs once the server answered, before the answer is passed on. */
  onAnswer?: (status: number, headers: Record<string, string>) => void | Promise<void>;
}

type Match = { method?: string; id?: string } | ((request: SeenRequest) => boolean);

/** A running fault layer. */
export interface FaultLayer {
  /** The creation endpoint through the layer. */
  endpoint: string;
  /** `PATCH` body bytes forwarded to the server, per upload id. */
  received: Map<string, number>;
  /** Every request, in arrival order. */
  requests: SeenRequest[];
  /** Applies `fault` to the next `times` requests that `match`. */
  inject(match: Match, fault: Fault, times?: number): void;
  /** Stops the layer. */
  close(): Promise<void>;
}

/** Starts a layer in front of the tus server at `target` (its creation endpoint). */
export async function startFaultLayer(target: string): Promise<FaultLayer> {
  const upstream = new URL(target);
  const rules: { match: Match; fault: Fault; left: number }[] = [];
  const received = new Map<string, number>();
  const requests: SeenRequest[] = [];

  const take = (seen: SeenRequest): Fault | undefined => {
    const rule = rules.find(({ match }) =>
      typeof match === "function"
        ? match(seen)
        : (!match.method || match.method === seen.method) && (!match.id || match.id === seen.id)
    );
    if (!rule) return undefined;
    if (--rule.left <= 0) rules.splice(rules.indexOf(rule), 1);
    seen.faulted = true;
    return rule.fault;
  };

  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const last = path.split("/").pop();
    const offsetHeader = req.headers["upload-offset"];
    const seen: SeenRequest = {
      method: req.method ?? "GET",
      id: last && path !== upstream.pathname ? last : undefined,
      offset: offsetHeader === undefined ? undefined : Number(offsetHeader),
      headers: req.headers,
      bytes: 0,
      faulted: false,
    };
    requests.push(seen);
    const fault = req.method === "OPTIONS" ? undefined : take(seen);
    if (fault?.answer !== undefined) {
      req.resume();
      req.on("end", () => {
        seen.status = fault.answer;
        res.writeHead(fault.answer!, {
          "tus-resumable": "1.0.0",
          "access-control-allow-origin": "*",
          ...fault.headers,
        });
        res.end(fault.body ?? "");
      });
      return;
    }
    const out = request({
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
    }, async (answer) => {
      const headers = { ...answer.headers } as Record<string, string>;
      const status = answer.statusCode ?? 502;
      if (fault?.onAnswer) await fault.onAnswer(status, headers);
      if (fault?.dropAnswer || req.socket.destroyed) {
        answer.resume();
        req.socket.destroy();
        return;
      }
      fault?.rewrite?.(headers, seen);
      seen.status = status;
      res.writeHead(status, headers);
      answer.pipe(res);
    });
    out.on("error", () => res.destroy());
    const limit = fault?.dropAfterBytes ?? fault?.holdAfterBytes;
    req.on("data", (chunk: Buffer) => {
      let part = chunk;
      if (limit !== undefined && seen.bytes + part.length >= limit) {
        part = part.subarray(0, limit - seen.bytes);
      }
      seen.bytes += part.length;
      if (seen.id && req.method === "PATCH") {
        received.set(seen.id, (received.get(seen.id) ?? 0) + part.length);
      }
      const reached = limit !== undefined && seen.bytes >= limit;
      if (reached) req.pause();
      // Once the bytes are on their way to the server, hold the request or break both sides.
      out.write(part, () => {
        if (!reached) return;
        // A broken answer rather than none: a browser sends a request that got no answer on a
        // kept-alive connection again by itself, but not one whose answer broke off.
        const breakIt = () => {
          out.destroy();
          req.socket.end("HTTP/1.1 50");
        };
        if (fault?.holdAfterBytes !== undefined) fault.onHold?.(breakIt);
        else void Promise.resolve(fault?.beforeDrop?.()).finally(breakIt);
      });
    });
    req.on("end", () => out.end());
    req.on("error", () => out.destroy());
    // The client went away before its answer (an abort, a kill): so does the request to the server.
    res.on("close", () => {
      if (!res.writableFinished) out.destroy();
    });
  };

  const server = createServer(forward);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}${upstream.pathname}`,
    received,
    requests,
    inject(match, fault, times = 1) {
      rules.push({ match, fault, left: times });
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
