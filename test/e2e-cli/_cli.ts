/**
 * The terminal uploader as a user runs it: the `demo:node` and `demo:deno`
 * scripts of package.json, as real processes, with a folder of random files.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The sha256 of some bytes, in hex. */
export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A file of the test folder. */
export interface TestFile {
  /** Its name (unique in the folder, whatever subfolder it is in). */
  name: string;
  size: number;
  sha256: string;
}

/**
 * Writes `count` files of random sizes (an empty one, a one-byte one, the
 * rest up to `maxSize`) into `dir`, a third of them in subfolders.
 */
export async function makeFolder(dir: string, count: number, maxSize: number) {
  const files: TestFile[] = [];
  for (let i = 0; i < count; i++) {
    const size = i === 0 ? 0 : i === 1 ? 1 : Math.floor(Math.random() * maxSize);
    const bytes = randomBytes(size);
    const name = `file-${i}.bin`;
    const folder = i % 3 === 2 ? join(dir, `sub-${i % 2}`, "deeper") : dir;
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, name), bytes);
    files.push({ name, size, sha256: sha256(bytes) });
  }
  return files;
}

/** What @tus/file-store holds in `dir`: each upload's file name, size on disk and sha256. */
export async function storedUploads(dir: string) {
  const names = (await readdir(dir)).filter((name) => name.endsWith(".json"));
  return await Promise.all(names.map(async (json) => {
    const id = json.slice(0, -5);
    const info = JSON.parse(await readFile(join(dir, json), "utf8"));
    const bytes = await readFile(join(dir, id)).catch(() => new Uint8Array());
    return {
      id,
      filename: info.metadata?.filename as string,
      size: info.size as number,
      received: bytes.length,
      sha256: sha256(bytes),
    };
  }));
}

/** The command of a package.json script, as program and arguments (no shell). */
async function scriptCommand(script: string): Promise<string[]> {
  const scripts = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")).scripts;
  const words = (scripts[script] as string).split(" ");
  if (words[0] === "node") words[0] = process.execPath;
  else words[0] = join(ROOT, "node_modules/.bin", words[0]!);
  return words;
}

/** A running uploader. */
export interface CliRun {
  child: ChildProcess;
  /** What it printed so far. */
  out(): string;
  err(): string;
  /** Resolves once the output holds `count` lines that match. */
  lines(pattern: RegExp, count?: number): Promise<string[]>;
  /** Its end. */
  ended: Promise<{ code: number | null; signal: string | null }>;
}

/** Starts `npm run <script> -- <args>` (without npm in between, so a signal reaches it). */
export async function runCli(script: "demo:node" | "demo:deno", args: string[]): Promise<CliRun> {
  const [program, ...rest] = await scriptCommand(script);
  const child = spawn(program!, [...rest, ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  let out = "";
  let err = "";
  const waiting = new Set<() => void>();
  const wake = () => waiting.forEach((check) => check());
  child.stdout!.on("data", (chunk) => ((out += chunk), wake()));
  child.stderr!.on("data", (chunk) => (err += chunk));
  const ended = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on("exit", (code, signal) => (resolve({ code, signal }), wake()))
  );
  let exited = false;
  void ended.then(() => (exited = true));
  return {
    child,
    out: () => out,
    err: () => err,
    ended,
    lines(pattern, count = 1) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = out.split("\n").filter((line) => pattern.test(line));
          if (found.length >= count) {
            waiting.delete(check);
            resolve(found);
          } else if (exited || child.exitCode !== null || child.signalCode !== null) {
            waiting.delete(check);
            reject(new Error(`the uploader ended before printing ${pattern}:\n${out}\n${err}`));
          }
        };
        waiting.add(check);
        check();
      });
    },
  };
}

/** Runs the uploader to its end; its exit code and output. */
export async function runToEnd(script: "demo:node" | "demo:deno", args: string[]) {
  const run = await runCli(script, args);
  const { code } = await run.ended;
  return { code, out: run.out(), err: run.err() };
}
