/** Runs a script of this folder in a child process (through tsx) until it exits or kills itself. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** What a child left: the signal that ended it, and what it printed. */
export interface ChildOutcome {
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** Runs `script` (a file next to this one) with `args`, from the repository's root. */
export function runChild(script: string, args: string[]): Promise<ChildOutcome> {
  const child = spawn(process.execPath, [
    "--import",
    "tsx",
    fileURLToPath(new URL(script, import.meta.url)),
    ...args,
  ], {
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (chunk) => (out += chunk));
  child.stderr.on("data", (chunk) => (err += chunk));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (_code, signal) => resolve({ signal, out, err }));
  });
}
