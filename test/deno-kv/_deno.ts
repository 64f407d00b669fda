/** Runs the Deno side of the deno-kv tests (`_interop.deno.ts`) from Node. */
import { execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("./_interop.deno.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DENO = join(ROOT, "node_modules", ".bin", "deno");

/** The flags the Deno side runs with unless told otherwise. */
export const ALL = ["--allow-all", "--unstable-kv"];

/** The last line of `text` that is a JSON object or array. */
function lastJson(text: string): Record<string, unknown> | undefined {
  const line = text.split(/\r?\n/).map((l) => l.trim()).reverse().find((l) => /^[[{]/.test(l));
  return line === undefined ? undefined : JSON.parse(line);
}

/** Runs the Deno side; resolves with the JSON line it printed. */
export function deno(args: string[], flags = ALL): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(
      "npx",
      ["deno", "run", ...flags, SCRIPT, ...args],
      { cwd: ROOT, timeout: 60_000 },
      (error, stdout, stderr) => {
        const out = error ? undefined : lastJson(stdout);
        if (!out) {
          reject(new Error(`deno ${args.join(" ")} failed: ${error?.message ?? ""}\n${stderr}`));
        } else resolve(out);
      },
    );
  });
}

/**
 * Runs the Deno side in a terminal (a pseudo-terminal from `script`, where
 * Deno would stop at a permission prompt) and resolves with its JSON line
 * and everything the terminal showed. Fails if Deno asks for a permission.
 */
export function denoInTerminal(
  args: string[],
  flags: string[],
): Promise<{ json: Record<string, unknown>; screen: string }> {
  // The binary itself: npx would draw a spinner in the terminal.
  const command = [DENO, "run", ...flags, SCRIPT, ...args].join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qec", command, "/dev/null"], { cwd: ROOT });
    let screen = "";
    const timer = setTimeout(() => finish("it did not end within 60 s"), 60_000);
    const finish = (problem?: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      const json = lastJson(screen);
      if (problem || !json) reject(new Error(`deno ${args.join(" ")}: ${problem}\n${screen}`));
      else resolve({ json, screen });
    };
    child.on(
      "error",
      (error) =>
        finish(`script (util-linux) is needed to run Deno in a terminal: ${error.message}`),
    );
    child.stdout.on("data", (chunk) => {
      screen += String(chunk);
      if (screen.includes("Deno requests")) finish("Deno asked for a permission");
    });
    child.on("exit", (code) => finish(code === 0 ? undefined : `it exited with ${code}`));
  });
}
