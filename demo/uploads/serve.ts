/**
 * `npm run demo` (and `npm run demo:sw`): the demo's tus server and its page
 * on http://127.0.0.1:8080/ (`PORT=0` picks a free port). Builds the page and
 * the service worker from the sources with esbuild, and serves them on the
 * upload server's origin. Listens on 127.0.0.1 only.
 */
import { build } from "esbuild";
import { sourceAliases } from "../_sources.ts";
import { type DemoServer, type DemoServerOptions, startDemoServer } from "../tus-server.ts";
import { pageHtml } from "./_html.ts";

const here = new URL(".", import.meta.url).pathname;

/** Options of {@linkcode startUploadsDemo}. */
export interface UploadsDemoOptions extends Pick<DemoServerOptions, "port" | "dir" | "onBody"> {
  /** Bytes per `PATCH` for the files added on the page. @default 1 MiB */
  chunkSize?: number;
}

/** The running demo. */
export interface UploadsDemo extends DemoServer {
  /** The page of the tabs variant (uploads run in a tab). */
  page: string;
  /** The page of the service-worker variant. */
  swPage: string;
}

async function bundle(file: string): Promise<string> {
  const out = await build({
    entryPoints: [`${here}${file}`],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    alias: sourceAliases(),
    write: false,
  });
  return out.outputFiles[0]!.text;
}

/** Builds the page and the worker, and starts the tus server that serves them. */
export async function startUploadsDemo(options: UploadsDemoOptions = {}): Promise<UploadsDemo> {
  const chunkSize = options.chunkSize ?? 1 << 20;
  const [page, worker] = await Promise.all([bundle("page.ts"), bundle("sw.ts")]);
  const files: Record<string, [string, string]> = {
    "/": ["text/html", pageHtml("tabs", chunkSize)],
    "/sw/": ["text/html", pageHtml("sw", chunkSize)],
    "/page.js": ["text/javascript", page],
    "/sw/sw.js": ["text/javascript", worker],
  };
  const server = await startDemoServer({
    ...options,
    pages(req, res) {
      const file = files[(req.url ?? "/").split("?")[0]!];
      if (!file) return false;
      res.writeHead(200, { "content-type": file[0], "cache-control": "no-cache" }).end(file[1]);
      return true;
    },
  });
  return { ...server, page: server.url, swPage: `${server.url}sw/` };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sw = process.argv.includes("--sw");
  const port = Number(process.env.PORT ?? 8080);
  try {
    const demo = await startUploadsDemo({ port });
    console.log(`stater uploads demo${sw ? ", in a service worker" : ""}: open`);
    console.log(sw ? demo.swPage : demo.page);
    console.log(`uploads land in ${demo.dir}`);
    console.log(
      sw ? `(the tabs variant: ${demo.page})` : `(the service-worker variant: ${demo.swPage})`,
    );
    console.log("Ctrl-C stops it.");
  } catch (error) {
    if ((error as { code?: string }).code !== "EADDRINUSE") throw error;
    console.error(
      `Port ${port} on 127.0.0.1 is taken: run PORT=0 npm run demo${
        sw ? ":sw" : ""
      } for a free one.`,
    );
    process.exit(1);
  }
}
