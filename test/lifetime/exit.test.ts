/**
 * A process that opens an engine and never closes it ends by itself once the
 * engine has nothing to do, on Node and on Deno, with every driver that runs
 * there; while a task runs, retries or waits for a lease, it stays alive.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createEngine, type WorkFunction } from "../../src/mod.ts";
import { denoKvDriver } from "../../drivers/deno-kv/mod.ts";
import { removeDir, tempDir } from "../fs/_subject.ts";

const CHILD = fileURLToPath(new URL("./_child.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DENO = join(ROOT, "node_modules", ".bin", "deno");
/** How long an idle process may take to end, from its `open` line (generous: the machine is shared). */
const ENDS_WITHIN_MS = 10_000;

type Runtime = "node" | "deno";

/** A running child, with what it printed and when it ended. */
interface Child {
  process: ChildProcess;
  /** Resolves with the exit code once the process ended. */
  exited: Promise<number | null>;
  /** Resolves with the time it printed `line`; rejects if it ends first. */
  printed(line: string): Promise<number>;
  output(): string;
}

function start(runtime: Runtime, args: string[]): Child {
  const child = runtime === "node"
    ? spawn(process.execPath, ["--import", "tsx", CHILD, ...args], { cwd: ROOT })
    // The binary itself, not npx: killing the child must kill Deno.
    : spawn(DENO, [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-sys",
      "--allow-run",
      "--unstable-kv",
      CHILD,
      ...args,
    ], { cwd: ROOT });
  let out = "";
  let err = "";
  const lines = new Map<string, number>();
  const waiting: { line: string; resolve(at: number): void }[] = [];
  child.stdout!.on("data", (chunk) => {
    out += String(chunk);
    for (const line of out.split("\n")) if (!lines.has(line)) lines.set(line, Date.now());
    for (const w of waiting) if (lines.has(w.line)) w.resolve(lines.get(w.line)!);
  });
  child.stderr!.on("data", (chunk) => (err += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    process: child,
    exited,
    printed: (line) =>
      Promise.race([
        new Promise<number>((resolve) => {
          if (lines.has(line)) resolve(lines.get(line)!);
          else waiting.push({ line, resolve });
        }),
        exited.then((code) => {
          throw new Error(`the child ended (${code}) before printing "${line}": ${out}\n${err}`);
        }),
      ]),
    output: () => `${out}\n${err}`,
  };
}

/** Resolves with the time the child ended, or fails the test if it is still alive after `ms`. */
async function endsWithin(child: Child, ms: number): Promise<number> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const code = await Promise.race([
    child.exited,
    new Promise<"alive">((resolve) => (timer = setTimeout(() => resolve("alive"), ms))),
  ]);
  clearTimeout(timer);
  if (code === "alive") {
    child.process.kill("SIGKILL");
    throw new Error(`the process was still alive ${ms} ms later: ${child.output()}`);
  }
  expect(code, child.output()).toBe(0);
  return Date.now();
}

async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await tempDir("stater-lifetime-");
  try {
    await fn(dir);
  } finally {
    await removeDir(dir);
  }
}

/** The holder's steps: ten times slower than the child's, so the task is far from done when it closes. */
const slow: WorkFunction<{ n: number; to: number }, number> = async (state, ctx) => {
  await new Promise((resolve) => setTimeout(resolve, 200));
  return state.n >= state.to ? ctx.done(state.n) : { n: state.n + 1, to: state.to };
};

for (const runtime of ["node", "deno"] as const) {
  describe(`defect 8: a process on ${runtime === "node" ? "Node" : "Deno"}`, () => {
    for (const driver of ["memory", "fs", "deno-kv"]) {
      it(
        `ends by itself when its ${driver} engine has nothing to do and is never closed`,
        async () => {
          await inTempDir(async (dir) => {
            const child = start(runtime, ["idle", driver, dir]);
            const opened = await child.printed("open");
            expect(await endsWithin(child, ENDS_WITHIN_MS) - opened).toBeLessThan(ENDS_WITHIN_MS);
          });
        },
        60_000,
      );

      it(
        `stays alive while its ${driver} engine runs a task (and waits to retry a step), then ends by itself`,
        async () => {
          await inTempDir(async (dir) => {
            const child = start(runtime, ["run", driver, dir]);
            const done = await child.printed("done 200");
            // Nothing is left to do: the process ends well before a lease renewal (20 s) would come.
            expect(await endsWithin(child, 5000) - done).toBeLessThan(5000);
          });
        },
        60_000,
      );
    }

    it(
      "stays alive while its deno-kv engine waits for the lease of a task another process runs, takes the task over, then ends by itself",
      async () => {
        await inTempDir(async (dir) => {
          const path = join(dir, "store.kv");
          const holder = await createEngine({
            driver: denoKvDriver({ path, pollMs: 50 }),
            work: { slow },
            owner: "holder",
          });
          const task = await holder.create("slow", { n: 0, to: 120 }, { id: "t" });
          while (task.step < 2) await new Promise((resolve) => setTimeout(resolve, 10));
          const child = start(runtime, ["standby", "deno-kv", dir]);
          await child.printed("open");
          // Standing by: nothing of its own to do, but a task it could take over.
          await new Promise((resolve) => setTimeout(resolve, 2000));
          expect(child.process.exitCode, "still alive while the lease is held").toBeNull();
          await holder.close();
          expect(task.step, "left for the child to finish").toBeLessThan(100);
          await child.printed("done 120");
          await endsWithin(child, ENDS_WITHIN_MS);
          const check = await createEngine({
            driver: denoKvDriver({ path }),
            work: { slow },
            autoResume: false,
          });
          expect((await check.get("t"))?.status).toBe("done");
          await check.close();
        });
      },
      90_000,
    );
  });
}
