/**
 * The shape of the code: files of one concern (at most 300 lines), lines a
 * reader can take in (at most 100 characters), and no import cycles (type
 * imports included) in src/ and drivers/.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const files = execFileSync("git", ["ls-files", "src", "drivers"], { cwd: root, encoding: "utf8" })
  .trim().split("\n").filter((file) => file.endsWith(".ts"));
const text = new Map(files.map((file) => [file, readFileSync(`${root}/${file}`, "utf8")]));

/** The files of src/ and drivers/ that `file` imports, type imports and re-exports included. */
function importsOf(file: string): string[] {
  const found: string[] = [];
  const pattern = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["'](\.[^"']+)["']/g;
  for (const match of text.get(file)!.matchAll(pattern)) {
    const target = normalize(`${dirname(file)}/${match[1]}`);
    if (text.has(target)) found.push(target);
  }
  return found;
}

describe("the code's shape", () => {
  it("no file in src/ or drivers/ has more than 300 lines", () => {
    const long = files.flatMap((file) => {
      const lines = text.get(file)!.split("\n").length - 1;
      return lines > 300 ? [`${file}: ${lines} lines`] : [];
    });
    expect(long).toEqual([]);
  });

  it("no line in src/ or drivers/ is longer than 100 characters", () => {
    const long = files.flatMap((file) =>
      text.get(file)!.split("\n").flatMap((line, i) =>
        line.length > 100 ? [`${file}:${i + 1} (${line.length})`] : []
      )
    );
    expect(long).toEqual([]);
  });

  it("no import cycle in src/ or drivers/, type imports included", () => {
    const graph = new Map(files.map((file) => [file, importsOf(file)]));
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const path: string[] = [];
    const visit = (file: string) => {
      state.set(file, "open");
      path.push(file);
      for (const next of graph.get(file) ?? []) {
        if (state.get(next) === "open") {
          cycles.push([...path.slice(path.indexOf(next)), next].join(" → "));
        } else if (!state.has(next)) visit(next);
      }
      path.pop();
      state.set(file, "done");
    };
    for (const file of files) if (!state.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });

  it("finds the imports it checks (the check itself works)", () => {
    expect(importsOf("src/engine.ts")).toContain("src/task.ts");
    expect(importsOf("src/driver.ts")).toContain("src/contract.ts");
  });
});
