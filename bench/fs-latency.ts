/**
 * What strict fs commits of one task do to the other work of the same
 * process: a `node:http` server on 127.0.0.1 in this process answers a load
 * generator in another process (one GET a millisecond, open loop), while no
 * task runs, or one task steps with `durability: "strict"` under each
 * `maxBlockMs` (how long lone commits may hold the event loop with blocking
 * calls). Prints p50 / p99 / max of the HTTP latency and the
 * task's steps/s, medians over rounds that alternate the cases.
 *
 *   npx tsx bench/fs-latency.ts [seconds per case, default 2] [rounds, default 3]
 */
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEngine, type WorkFunction } from "../src/mod.ts";
import { fsDriver } from "../drivers/fs/mod.ts";

const SECONDS = Number(process.argv[2] ?? 2);
const ROUNDS = Number(process.argv[3] ?? 3);
const PERIOD_MS = 1;
const LOAD = fileURLToPath(new URL("./_http_load.ts", import.meta.url));
const root = await mkdtemp(join(tmpdir(), "stater-bench-latency-"));
let dirs = 0;

type S = { n: number };
const tiny: WorkFunction<S, number> = (s, ctx) => (s.n >= 1e12 ? ctx.done(s.n) : { n: s.n + 1 });

interface Case {
  name: string;
  /** The driver's options besides `dir`, or undefined for no task. */
  options?: Record<string, unknown>;
}
const CASES: Case[] = [
  { name: "no task" },
  { name: "1 task, maxBlockMs: Infinity", options: { maxBlockMs: Infinity } },
  { name: "1 task, maxBlockMs: 2", options: { maxBlockMs: 2 } },
  { name: "1 task, maxBlockMs: 1 (default)", options: {} },
  { name: "1 task, maxBlockMs: 0 (never block)", options: { maxBlockMs: 0 } },
];

function load(port: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [
      "--import",
      "tsx",
      LOAD,
      String(port),
      String(SECONDS),
      String(PERIOD_MS),
    ], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.on("error", reject);
    child.on(
      "exit",
      (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load ${code}`))),
    );
  });
}

const at = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function run(c: Case): Promise<{ p50: number; p99: number; max: number; steps: number }> {
  const server = createServer((_request, response) => response.end("ok"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const engine = c.options &&
    await createEngine({
      driver: fsDriver({ dir: join(root, `store-${dirs++}`), ...c.options }),
      work: { tiny },
    });
  const task = engine && await engine.create("tiny", { n: 0 });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const step0 = task?.step ?? 0;
  const t0 = performance.now();
  const latencies = await load(port);
  const steps = ((task?.step ?? 0) - step0) / ((performance.now() - t0) / 1000);
  await task?.pause();
  await engine?.close();
  await new Promise((resolve) => server.close(resolve));
  latencies.sort((a, b) => a - b);
  return { p50: at(latencies, 0.5), p99: at(latencies, 0.99), max: latencies.at(-1)!, steps };
}

try {
  const results = new Map<string, { p50: number; p99: number; max: number; steps: number }[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of CASES) results.set(c.name, [...(results.get(c.name) ?? []), await run(c)]);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(
    `HTTP GET every ${PERIOD_MS} ms from another process, ${SECONDS} s a case, medians of ${ROUNDS} rounds`,
  );
  console.log("case                                      p50 ms   p99 ms   max ms   task steps/s");
  for (const [name, rounds] of results) {
    const f = (k: "p50" | "p99" | "max") => median(rounds.map((r) => r[k])).toFixed(2).padStart(8);
    const steps = median(rounds.map((r) => r.steps)).toFixed(0).padStart(14);
    console.log(`${name.padEnd(40)} ${f("p50")} ${f("p99")} ${f("max")} ${steps}`);
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
