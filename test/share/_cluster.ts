/**
 * Runs workers of the sharing test as real processes, Node and Deno, on one
 * store; kills and restarts them; reads their side log.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WORKER = fileURLToPath(new URL("./_worker.ts", import.meta.url));

/** One step as a worker logged it. */
export interface Step {
  worker: string;
  task: string;
  n: number;
  start: number;
  end: number;
}

/** The store and the test's shape, as every worker gets them. */
export interface Shape {
  driver: "deno-kv" | "postgres";
  store: string;
  log: string;
  tasks: number;
  steps: number;
  stepMs: number;
}

/** A worker process. */
export interface Worker {
  name: string;
  runtime: "node" | "deno";
  child: ChildProcess;
  /** Settles when the process ends: `killed` or `finished`. */
  ended: Promise<"killed" | "finished">;
  /** Output on stderr. */
  errors(): string;
}

/** Starts worker `name` on `runtime`; resolves once it created the tasks and runs. */
export function startWorker(shape: Shape, name: string, runtime: "node" | "deno"): Promise<Worker> {
  const args = [shape.driver, shape.store, name, shape.log, shape.tasks, shape.steps, shape.stepMs]
    .map(String);
  const child = runtime === "node"
    ? spawn(process.execPath, ["--import", "tsx", WORKER, ...args], { cwd: ROOT })
    : spawn(`${ROOT}/node_modules/.bin/deno`, [
      "run",
      "-A",
      "--unstable-kv",
      `--config=${ROOT}/deno.json`,
      WORKER,
      ...args,
    ], { cwd: ROOT });
  let out = "";
  let err = "";
  child.stderr!.on("data", (chunk) => (err += chunk));
  const ended = new Promise<"killed" | "finished">((resolve, reject) => {
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve("killed");
      else if (code === 0) resolve("finished");
      else reject(new Error(`worker ${name} (${runtime}) exited with ${code ?? signal}: ${err}`));
    });
  });
  ended.catch(() => {});
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (chunk) => {
      out += chunk;
      if (out.includes("started")) resolve({ name, runtime, child, ended, errors: () => err });
    });
    ended.then(
      () => reject(new Error(`worker ${name} ended before it started: ${err}`)),
      reject,
    );
  });
}

/** The steps logged so far. */
export function steps(log: string): Step[] {
  let text = "";
  try {
    text = readFileSync(log, "utf8");
  } catch { /* nothing logged yet */ }
  // A worker killed while it wrote leaves a partial last line.
  return text.split("\n").flatMap((line) => {
    try {
      return line ? [JSON.parse(line) as Step] : [];
    } catch {
      return [];
    }
  });
}

/** How many distinct tasks each worker stepped within [from, to]. */
export function tasksBy(all: Step[], from: number, to: number): Record<string, number> {
  const by = new Map<string, Set<string>>();
  for (const step of all) {
    if (step.start < from || step.end > to) continue;
    if (!by.has(step.worker)) by.set(step.worker, new Set());
    by.get(step.worker)!.add(step.task);
  }
  return Object.fromEntries([...by].map(([worker, tasks]) => [worker, tasks.size]));
}

/**
 * What the log shows went wrong: a task whose steps ran at the same time in
 * two workers, a step that never ran, and tasks that ran more steps again
 * than there were kills.
 */
export function faults(all: Step[], shape: Shape, kills: number): string[] {
  const found: string[] = [];
  const byTask = new Map<string, Step[]>();
  for (const step of all) byTask.set(step.task, [...(byTask.get(step.task) ?? []), step]);
  for (let i = 0; i < shape.tasks; i++) {
    const task = `task-${i}`;
    const list = [...(byTask.get(task) ?? [])].sort((a, b) => a.start - b.start);
    let latest: Step | undefined;
    for (const step of list) {
      if (latest && step.start < latest.end && step.worker !== latest.worker) {
        found.push(
          `${task}: step ${step.n} in ${step.worker} overlaps ${latest.n} in ${latest.worker}`,
        );
      }
      if (!latest || step.end > latest.end) latest = step;
    }
    const ran = new Set(list.map((step) => step.n));
    for (let n = 0; n < shape.steps; n++) {
      if (!ran.has(n)) found.push(`${task}: step ${n} never ran`);
    }
    const again = list.length - ran.size;
    if (again > kills) found.push(`${task}: ${again} steps ran again, with ${kills} kills`);
  }
  return found;
}
