/**
 * The code examples of the project's READMEs: every ```ts block, unless its
 * fence says ```ts ignore (a type signature, a fragment of a line). A block
 * that starts with `// file: <path>` is a copy of that file of the project,
 * which its own tests run: it must match the file.
 *
 * Where a block runs: the fence may say (```ts deno, ```ts browser);
 * otherwise a block that imports the IndexedDB driver runs in Chromium, one
 * that uses Deno KV or `Deno.` on Deno, and the others on Node.
 */
import { readFileSync } from "node:fs";

/** One example. */
export interface Block {
  /** `README.md:17`: the file and the line of its fence. */
  where: string;
  /** Its code. */
  code: string;
  /** The file it copies, for a `// file:` block. */
  copies?: string;
  /** Where it runs, from what it imports. */
  runtime: "node" | "deno" | "browser";
}

/** The examples of the README at `path` (relative to `root`). */
export function blocksOf(root: string, path: string): Block[] {
  const lines = readFileSync(`${root}/${path}`, "utf8").split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\w+)(.*)$/.exec(lines[i]!);
    if (!fence) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith("```"); i++) body.push(lines[i]!);
    if (fence[1] !== "ts" || /\bignore\b/.test(fence[2]!)) continue;
    const code = body.join("\n") + "\n";
    const copies = /^\/\/ file: (\S+)/.exec(body[0] ?? "")?.[1];
    const runtime = runtimeOf(fence[2]!, code);
    blocks.push({ where: `${path}:${start + 1}`, code, copies, runtime });
  }
  return blocks;
}

function runtimeOf(info: string, code: string): Block["runtime"] {
  const said = /\b(node|deno|browser)\b/.exec(info)?.[1] as Block["runtime"] | undefined;
  if (said) return said;
  if (/stater\/drivers\/indexeddb/.test(code)) return "browser";
  if (/stater\/drivers\/deno-kv|\bDeno\./.test(code)) return "deno";
  return "node";
}
