/**
 * The deno-kv driver's sources keep to the project's shape: files under 300
 * lines, lines of at most 100 characters, no import cycle between its files
 * (type-only imports included), and names spelled out.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { expect, it } from "vitest";

const DIR = fileURLToPath(new URL("../../drivers/deno-kv/", import.meta.url));
const FILES = readdirSync(DIR).filter((file) => file.endsWith(".ts")).sort();
const source = (file: string) => readFileSync(join(DIR, file), "utf8");
/** Short names that are words or the platform's own: `kv` is Deno KV's handle, `id` a task's. */
const WORDS = new Set(["id", "kv", "me", "at", "ok", "ms", "LF"]);

it("each deno-kv source file is under 300 lines, each line at most 100 characters", () => {
  expect(FILES.length).toBeGreaterThan(10);
  for (const file of FILES) {
    const lines = source(file).split("\n");
    expect(lines.length, file).toBeLessThan(300);
    const long = lines.flatMap((
      line,
      index,
    ) => (line.length > 100 ? [`${file}:${index + 1}`] : []));
    expect(long).toEqual([]);
  }
});

it("no deno-kv source file imports, even for types only, one that leads back to it", () => {
  const imports = new Map(FILES.map((file) => [
    file,
    [...source(file).matchAll(/from\s+"\.\/([^"]+)"/g)].map((match) => match[1]!),
  ]));
  const cycles: string[] = [];
  const walk = (file: string, path: string[]) => {
    if (path.includes(file)) return void cycles.push([...path, file].join(" → "));
    for (const next of imports.get(file) ?? []) walk(next, [...path, file]);
  };
  for (const file of FILES) walk(file, []);
  expect(cycles).toEqual([]);
});

it("the deno-kv sources spell their names out: no variable, parameter or field of one or two letters", () => {
  const short: string[] = [];
  for (const file of FILES) {
    const tree = ts.createSourceFile(file, source(file), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      const named = ts.isVariableDeclaration(node) || ts.isParameter(node) ||
        ts.isPropertyDeclaration(node) || ts.isBindingElement(node) ||
        ts.isPropertySignature(node) || ts.isFunctionDeclaration(node) ||
        ts.isMethodDeclaration(node);
      const name = named ? (node as { name?: ts.Node }).name : undefined;
      if (name && (ts.isIdentifier(name) || ts.isPrivateIdentifier(name))) {
        const bare = name.text.replace(/^#/, "");
        if (bare.length <= 2 && bare !== "_" && !WORDS.has(bare)) {
          const { line } = tree.getLineAndCharacterOfPosition(name.getStart());
          short.push(`${file}:${line + 1} ${name.text}`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(tree);
  }
  expect(short).toEqual([]);
});
