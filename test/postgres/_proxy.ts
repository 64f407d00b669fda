/**
 * A TCP proxy on 127.0.0.1 in front of the test cluster, that can cut every
 * connection at the worst moment: after the server answered a statement and
 * before the answer reaches the client, so that the client cannot tell
 * whether its statement landed.
 */

import { createConnection, createServer, type Socket } from "node:net";

/** A running proxy. */
export interface Proxy {
  /** A URL like the cluster's, through the proxy. */
  readonly url: string;
  /**
   * From now on, the next answer the server sends that contains `marker`
   * is dropped and every connection is cut (new ones pass again).
   */
  cutAfterAnswer(marker: string): Promise<void>;
  /** Stops the proxy. */
  close(): Promise<void>;
}

/** Starts a proxy to the server of `url`. */
export async function startProxy(url: string): Promise<Proxy> {
  const target = new URL(url);
  const pairs = new Set<[Socket, Socket]>();
  let armed: { marker: string; done(): void } | undefined;
  const cutAll = () => {
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  const server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.on("data", (chunk) => upstream.write(chunk));
    upstream.on("data", (chunk) => {
      if (armed && chunk.toString("latin1").includes(armed.marker)) {
        const { done } = armed;
        armed = undefined;
        cutAll();
        done();
        return;
      }
      client.write(chunk);
    });
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end);
    upstream.on("close", end);
    client.on("error", end);
    upstream.on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const through = new URL(url);
  through.port = String(port);
  return {
    url: through.toString(),
    cutAfterAnswer: (marker) => new Promise((resolve) => (armed = { marker, done: resolve })),
    close: () =>
      new Promise((resolve) => {
        cutAll();
        server.close(() => resolve());
      }),
  };
}
