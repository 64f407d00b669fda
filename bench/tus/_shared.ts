/** What the tus benches share: the server process, the files, medians and printing. */

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const MiB = 1024 * 1024;
/** 20 files of 10 MiB: 200 MiB a run, in 4 MiB chunks. */
export const FILES = Number(process.env.TUS_BENCH_FILES ?? 20);
export const FILE_SIZE = Number(process.env.TUS_BENCH_FILE_MIB ?? 10) * MiB;
export const CHUNK = 4 * MiB;
export const CONCURRENCY = 4;
export const ROUNDS = Number(process.env.TUS_BENCH_ROUNDS ?? 5);

/**
 * Where the server keeps its uploads: in memory (/dev/shm) unless
 * `TUS_BENCH_SERVER_DIR` says otherwise. A real server runs on another
 * machine; on this one, its writes to the same disk would slow down the
 * client's fsyncs (stater's commits), which a real deployment does not see.
 */
export const SERVER_DIR = process.env.TUS_BENCH_SERVER_DIR ??
  (existsSync("/dev/shm") ? "/dev/shm" : "");

/** The tus server, in a child process; `clear()` deletes its uploads between runs. */
export async function startServer(): Promise<
  { endpoint: string; clear(): Promise<void>; close(): void }
> {
  const main = fileURLToPath(new URL("./_server_main.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", main, SERVER_DIR], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const { endpoint, dir } = await new Promise<{ endpoint: string; dir: string }>((resolve) => {
    let out = "";
    child.stdout!.on("data", (chunk) => {
      out += chunk;
      if (out.includes("\n")) resolve(JSON.parse(out));
    });
  });
  return {
    endpoint,
    async clear() {
      for (const name of await readdir(dir)) await rm(join(dir, name), { force: true });
      // A pause, so that what a run leaves to finish in the background does not slow the next one.
      await new Promise((resolve) => setTimeout(resolve, 1000));
    },
    close: () => void child.kill("SIGTERM"),
  };
}

/** `count` files of `size` random bytes in a temporary folder. */
export async function makeFiles(count: number, size: number): Promise<
  { dir: string; paths: string[] }
> {
  const dir = await mkdtemp(join(tmpdir(), "stater-tus-bench-"));
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = join(dir, `file-${i}.bin`);
    await writeFile(path, randomBytes(size));
    paths.push(path);
  }
  return { dir, paths };
}

/** The median. */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** MiB/s of `bytes` moved in `ms`. */
export const rate = (bytes: number, ms: number) => bytes / MiB / (ms / 1000);

/**
 * Runs each contender once a round, `rounds` times, in an order that turns
 * round by round (so none is always first or last); MiB/s of each run.
 */
export async function alternate<K extends string>(
  rounds: number,
  bytes: number,
  contenders: Record<K, (round: number) => Promise<number>>,
  between: () => Promise<void>,
): Promise<Record<K, number[]>> {
  const names = Object.keys(contenders) as K[];
  const out = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<
    K,
    number[]
  >;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length]!;
      out[name].push(rate(bytes, await contenders[name](round)));
      await between();
    }
  }
  return out;
}

/** The median of the ratios a[i] / b[i], round by round (steadier when the machine drifts). */
export function pairedRatio(a: number[], b: number[]): number {
  return median(a.map((x, i) => x / b[i]!));
}

/** The first line of a bench's output: what each run moves. */
export function describeRuns(runtime: string, note = ""): string {
  return `${runtime}: ${FILES} files × ${FILE_SIZE / MiB} MiB = ${FILES * FILE_SIZE / MiB} MiB ` +
    `a run, ${
      CHUNK / MiB
    } MiB chunks, ${CONCURRENCY} uploads at once, ${ROUNDS} runs each${note}\n`;
}

/** Prints each contender's runs, then its ratios to the anchor's (goal ≥ 0.9×). */
export function printComparison(anchor: [string, number[]], rows: [string, number[]][]): void {
  for (const [name, mibs] of [anchor, ...rows]) {
    console.log(
      `${name.padEnd(46)} median ${median(mibs).toFixed(1).padStart(6)} MiB/s   runs ${
        mibs.map((x) => x.toFixed(0)).join(" ")
      }`,
    );
  }
  console.log();
  for (const [name, mibs] of rows) {
    console.log(
      `${name.padEnd(46)} ${(median(mibs) / median(anchor[1])).toFixed(2)}× of the medians, ` +
        `${
          pairedRatio(mibs, anchor[1]).toFixed(2)
        }× the median of the rounds' ratios (goal ≥ 0.9×)`,
    );
  }
}
