/**
 * The terminal uploader shared by `npm run demo:node` (fs driver) and
 * `npm run demo:deno` (Deno KV driver): every file of a folder to a tus
 * server, one stater task per file, committed after every chunk. Ctrl-C
 * closes the engine (the chunks in flight are committed); after a kill -9 the
 * next run goes on from the server's offsets, and files already uploaded are
 * not sent again.
 */
import { mkdir } from "node:fs/promises";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { createEngine, type Driver, StaterError } from "stater";
import { addUploads, tusWork, type UploadTask } from "stater/tus";
import { startDemoServer } from "../tus-server.ts";
import { CliInputError, type CliOptions, folderFiles, parseArguments, usage } from "./_input.ts";
import { formatBytes, formatSeconds, ProgressDisplay } from "./_progress.ts";

/** What differs between the runtimes. */
export interface UploaderRuntime {
  /** How the user runs it, for the usage text: `npm run demo:node`. */
  command: string;
  /** The store's folder when `--store` is not given (a project-relative path). */
  defaultStore: string;
  /** The driver over the store's folder. */
  driver(store: string): Driver;
}

const root = fileURLToPath(new URL("../../", import.meta.url));

/**
 * A `fetch` that sends what was meant for an earlier run's own server to
 * this run's: the demo's server gets a new port each run, while the upload
 * URLs committed in the tasks name the port of the run that created them.
 */
export function sentTo(origin: string): (url: string) => string {
  return (url) => {
    const target = new URL(url);
    const path = target.pathname + target.search;
    return target.pathname.startsWith("/files") ? new URL(path, origin).href : url;
  };
}

/** Runs the uploader with the command line `args`; resolves with the exit code. */
export async function runUploader(runtime: UploaderRuntime, args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(usage(runtime.command));
    return 0;
  }
  try {
    const options = parseArguments(args, process.env.INIT_CWD ?? process.cwd());
    return await upload(runtime, options);
  } catch (error) {
    if (error instanceof CliInputError) {
      console.error(`error: ${error.message}.\n\n${usage(runtime.command)}`);
      return 2;
    }
    const code = error instanceof StaterError ? ` (${error.code})` : "";
    console.error(`error${code}: ${(error as Error)?.message ?? String(error)}`);
    return 1;
  }
}

async function upload(runtime: UploaderRuntime, options: CliOptions): Promise<number> {
  const files = await folderFiles(options.folder);
  if (options.endpoint) await checkReachable(options.endpoint);
  const server = options.endpoint ? undefined : await startDemoServer({
    port: 0,
    dir: options.uploads ?? `${root}.stater/uploads`,
  });
  const endpoint = options.endpoint ?? server!.endpoint;
  const store = options.store ?? `${root}${runtime.defaultStore}`;
  await mkdir(store, { recursive: true });
  const locate = server ? sentTo(server.url) : (url: string) => url;
  const engine = await createEngine({
    driver: runtime.driver(store),
    work: { upload: tusWork({ fetch: (url, init) => fetch(locate(String(url)), init) }) },
    concurrency: options.concurrency,
    // Only this folder's uploads run: others in the store wait for their own command.
    autoResume: false,
    retry: { maxAttempts: 8, initialDelayMs: 500, maxDelayMs: 10_000 },
  });
  const display = new ProgressDisplay(process.stdout);
  let stopping: Promise<void> | undefined;
  const stop = () => {
    // A second Ctrl-C does not wait: what is committed stays, and the next run asks the server.
    if (stopping) process.exit(130);
    stopping = (async () => {
      display.print("stopping: the chunks in flight are committed (Ctrl-C again: at once)…");
      await engine.close();
      display.stop();
      await server?.close();
      const { files: all, finished } = display.totals();
      console.log(`stopped with ${finished} of ${all} files uploaded: run the same command again`);
      process.exit(130);
    })();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  try {
    console.log(
      server
        ? `uploading to the demo's tus server ${endpoint}; uploads land in ${server.dir}`
        : `uploading to ${endpoint}`,
    );
    const started = Date.now();
    const tasks = await addUploads(engine, files.map((file) => file.path), {
      endpoint,
      chunkSize: options.chunkSize,
      start: false,
      // The uploads of one target apart from another's: a file sent to one is new to the other.
      prefix: server ? "cli" : `cli:${endpoint}`,
    });
    const before = new Map<string, number>();
    tasks.forEach((task, i) => {
      const done = task.status === "done" ? files[i]!.size : task.state.offset;
      before.set(task.id, done);
      display.add(task.id, files[i]!.name, files[i]!.size, done, task.status === "done");
    });
    engine.on("progress", (event) => display.update(event.task.id, event.done));
    engine.on("done", (event) => display.finished(event.task.id));
    engine.on("failed", (event) => {
      const file = files[tasks.findIndex((task) => task.id === event.task.id)];
      display.print(`failed ${file?.name}: ${event.error.message}`);
    });
    const earlier = tasks.filter((task) => task.status === "done").length;
    if (earlier > 0) {
      display.print(`${earlier} of ${files.length} files were uploaded by an earlier run`);
    }
    await Promise.all(tasks.map(startTask));
    const outcomes = await Promise.allSettled(tasks.map((task) => task.result()));
    if (stopping) return await new Promise<number>(() => {}); // the stop exits
    display.stop();
    const seconds = (Date.now() - started) / 1000;
    const { done, size } = display.totals();
    const sent = done - [...before.values()].reduce((sum, bytes) => sum + bytes, 0);
    const failed = outcomes.filter((outcome) => outcome.status === "rejected").length;
    console.log(
      `${failed > 0 ? "finished with errors" : "done"}: ${files.length - failed} of ` +
        `${files.length} files uploaded, ${formatBytes(size)} (${formatBytes(sent)} of it ` +
        `by this run) in ${formatSeconds(seconds)}`,
    );
    if (server) console.log(`the uploads are in ${server.dir}, each named by its upload key:`);
    outcomes.forEach((outcome, i) => {
      if (i === 20) console.log(`  … and ${files.length - 20} more`);
      if (i >= 20) return;
      const what = outcome.status === "fulfilled"
        ? locate(outcome.value.url)
        : `failed: ${(outcome.reason as Error).message}`;
      console.log(`  ${files[i]!.name}  ${what}`);
    });
    if (failed > 0) console.log("run the same command again to retry the failed uploads");
    return failed > 0 ? 1 : 0;
  } finally {
    if (!stopping) {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      await engine.close();
      await server?.close();
    }
  }
}

/** Fails fast, with what to do, when nothing answers at `endpoint`. */
async function checkReachable(endpoint: string): Promise<void> {
  try {
    const answer = await fetch(endpoint, {
      method: "OPTIONS",
      headers: { "Tus-Resumable": "1.0.0" },
      signal: AbortSignal.timeout(10_000),
    });
    await answer.body?.cancel();
  } catch (error) {
    const cause = (error as { cause?: { code?: string; errors?: { code?: string }[] } })?.cause;
    const why = cause?.code ?? cause?.errors?.[0]?.code ?? (error as Error)?.message;
    throw new CliInputError(
      "CLI_UNREACHABLE",
      `Nothing answers at ${endpoint} (${why}): start the tus server, check the URL, or leave ` +
        `--endpoint out to upload to the demo's own server`,
    );
  }
}

/** Starts a task of this run as its status asks: a failed upload is tried again. */
async function startTask(task: UploadTask): Promise<void> {
  if (task.status === "pending" || task.status === "running") await task.start();
  else if (task.status === "paused") await task.resume();
  else if (task.status === "failed") await task.retry();
}
