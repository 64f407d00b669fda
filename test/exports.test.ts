import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}/package.json`, "utf8"));
const deno = JSON.parse(readFileSync(`${root}/deno.json`, "utf8"));

describe("the export map", () => {
  it("names the same entry points in package.json and deno.json", () => {
    expect(Object.keys(pkg.exports).sort()).toEqual(Object.keys(deno.exports).sort());
  });

  it("maps each entry to its source, its build and its types", () => {
    for (
      const [subpath, target] of Object.entries(
        pkg.exports as Record<string, { types: string; default: string }>,
      )
    ) {
      const source = deno.exports[subpath] as string;
      expect(source.endsWith(".ts"), subpath).toBe(true);
      expect(existsSync(`${root}/${source}`), source).toBe(true);
      expect(target.default).toBe(`./dist/${source.slice(2).replace(/\.ts$/, ".js")}`);
      expect(target.types).toBe(`./dist/${source.slice(2).replace(/\.ts$/, ".d.ts")}`);
      const specifier = subpath === "." ? "stater" : `stater/${subpath.slice(2)}`;
      expect(deno.imports[specifier], `deno.json imports ${specifier}`).toBe(source);
    }
  });

  it("keeps the core free of drivers and runtime-specific imports", () => {
    const files = execFileSync("git", ["ls-files", "src"], { cwd: root, encoding: "utf8" }).trim()
      .split("\n");
    for (const file of files) {
      const text = readFileSync(`${root}/${file}`, "utf8");
      expect(text, file).not.toMatch(/from\s+["'](node:|npm:|jsr:|idb|\.\.\/drivers)/);
      // Deno as a global (a symbol's name in a string, such as "Deno.customInspect", is fine).
      expect(text, file).not.toMatch(/(?<!["'])\bDeno\./);
    }
  });

  it("lets a plain Node script import the built package by name", () => {
    expect(existsSync(`${root}/dist/src/mod.js`), "run npm run build first").toBe(true);
    const script = `
      import { createEngine, StaterError } from "stater";
      import { memoryDriver } from "stater/drivers/memory";
      import { tusWork } from "stater/tus";
      const engine = await createEngine({ driver: memoryDriver(), work: { add: (s, ctx) => s.n >= 5 ? ctx.done(s.n * 2) : { n: s.n + 1 } } });
      const task = await engine.create("add", { n: 0 });
      console.log(JSON.stringify({ result: await task.result(), base: typeof StaterError, tus: typeof tusWork().cleanup }));
      await engine.close();
    `;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: root,
      encoding: "utf8",
    });
    expect(JSON.parse(out)).toEqual({ result: 10, base: "function", tus: "function" });
  });

  it("lets Deno run the sources as they are, by the names in deno.json", () => {
    const script = `
      import { createEngine } from "stater";
      import { memoryDriver } from "stater/drivers/memory";
      const engine = await createEngine({ driver: memoryDriver(), work: { add: (s: { n: number }, ctx) => s.n >= 5 ? ctx.done(s.n * 2) : { n: s.n + 1 } } });
      const task = await engine.create("add", { n: 0 });
      console.log(JSON.stringify({ result: await task.result(), runtime: typeof Deno }));
      await engine.close();
    `;
    const out = execFileSync(`${root}/node_modules/.bin/deno`, ["eval", script], {
      cwd: root,
      encoding: "utf8",
    });
    expect(JSON.parse(out)).toEqual({ result: 10, runtime: "object" });
  });
});
