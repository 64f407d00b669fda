/**
 * Serves the service-worker demo on http://127.0.0.1:8080/ (IndexedDB and
 * service workers need an http origin):
 *
 *   npx tsx demo/service-worker/serve.ts
 *
 * Open the page, press "Count in the service worker", reload or close the
 * tab: the worker keeps counting while it is alive, and resumes a task it
 * was stopped in the middle of on its next event.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { build } from "esbuild";
import { sourceAliases } from "../_sources.ts";

const here = new URL(".", import.meta.url).pathname;
const html = `<!doctype html><meta charset="utf-8"><title>stater in a service worker</title>
<button id="start">Count in the service worker</button><pre id="out"></pre>
<script type="module" src="/page.js"></script>`;

/** Builds the page and the worker and serves them on `port` (0: any free port). */
export async function serveDemo(port = 8080): Promise<{ url: string; server: Server }> {
  const bundle = async (file: string) =>
    (await build({
      entryPoints: [`${here}${file}`],
      bundle: true,
      format: "esm",
      target: "es2022",
      minify: true,
      alias: sourceAliases(),
      write: false,
    }))
      .outputFiles[0]!.text;
  const files: Record<string, [string, string]> = {
    "/": ["text/html", html],
    "/page.js": ["text/javascript", await bundle("page.ts")],
    "/sw.js": ["text/javascript", await bundle("sw.ts")],
  };
  const server = createServer((req, res) => {
    const file = files[(req.url ?? "/").split("?")[0]!];
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": file[0], "service-worker-allowed": "/" }).end(file[1]);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { url } = await serveDemo(Number(process.env.PORT ?? 8080));
  console.log(`stater service-worker demo on ${url}`);
}
