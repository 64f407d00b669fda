/**
 * Every example of the READMEs runs, twice in a row over the same store, as
 * a reader would run it: on Node, on Deno, or in a page in Chromium (loaded,
 * then reloaded). A `// file:` block must be the file it copies.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { launchChromium } from "../e2e-idb/_harness.ts";
import { type Block, blocksOf } from "./_blocks.ts";
import { runInPage } from "./_page.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const READMES = execFileSync("git", ["ls-files", "*README.md"], { cwd: root, encoding: "utf8" })
  .trim().split("\n");
const deno = JSON.parse(readFileSync(`${root}/deno.json`, "utf8"));
/** The project's entry points, as the examples import them, mapped to their sources. */
const alias: Record<string, string> = Object.fromEntries(
  Object.entries(deno.imports as Record<string, string>).map(([name, path]) => [
    name,
    `${root}/${path}`,
  ]),
);
const scratch = `${root}/.scratch/readme`;
mkdirSync(scratch, { recursive: true });
let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
afterAll(async () => {
  await browser?.close();
});

/** Bundles `block` for `platform` into .scratch (inside the project, for node_modules). */
async function bundle(block: Block, n: number, platform: "node" | "browser"): Promise<string> {
  const source = `${scratch}/block-${n}.ts`;
  writeFileSync(source, block.code);
  const outfile = `${scratch}/block-${n}.${platform}.mjs`;
  await build({
    entryPoints: [source],
    bundle: true,
    format: "esm",
    platform,
    target: "es2022",
    alias,
    packages: platform === "node" ? "external" : undefined,
    outfile,
    logLevel: "error",
  });
  return outfile;
}

/** Runs `block` twice in one fresh folder; returns what each run printed. */
async function runTwice(block: Block, n: number): Promise<string[]> {
  const cwd = mkdtempSync(`${tmpdir()}/stater-readme-`);
  try {
    if (block.runtime === "browser") {
      browser ??= await launchChromium();
      return await runInPage(browser, await bundle(block, n, "browser"), 2);
    }
    const outs: string[] = [];
    for (let run = 0; run < 2; run++) {
      if (block.runtime === "node") {
        const file = await bundle(block, n, "node");
        outs.push(
          execFileSync(process.execPath, [file], { cwd, encoding: "utf8", timeout: 60_000 }),
        );
      } else {
        const file = `${scratch}/block-${n}.ts`;
        writeFileSync(file, block.code);
        const args = ["run", "-A", "--unstable-kv", `--config=${root}/deno.json`, file];
        outs.push(
          execFileSync(`${root}/node_modules/.bin/deno`, args, {
            cwd,
            encoding: "utf8",
            timeout: 60_000,
          }),
        );
      }
    }
    return outs;
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

const blocks = READMES.flatMap((path) => blocksOf(root, path));

describe("the README examples", () => {
  it("are found in every README", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    expect(blocks.some((b) => b.where.startsWith("README.md:"))).toBe(true);
  });

  it("type-check as the project does (all but the Deno ones), with stater by its names", () => {
    const dir = `${root}/.scratch/readme-types`;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const checked = blocks.filter((block) => !block.copies && block.runtime !== "deno");
    for (const block of checked) {
      // A file named after the block, so that an error says which; a module even without imports.
      writeFileSync(`${dir}/${block.where.replace(/[/:.]/g, "_")}.ts`, `export {};\n${block.code}`);
    }
    writeFileSync(
      `${dir}/tsconfig.json`,
      JSON.stringify({ extends: "../../tsconfig.json", include: ["*.ts"] }),
    );
    expect(checked.some((block) => block.runtime === "browser")).toBe(true);
    let errors = "";
    try {
      execFileSync(`${root}/node_modules/.bin/tsc`, ["-p", `${dir}/tsconfig.json`], {
        encoding: "utf8",
      });
    } catch (error) {
      errors = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(errors).toBe("");
  }, 60_000);

  blocks.forEach((block, n) => {
    if (block.copies) {
      it(`${block.where} is ${block.copies} as it is`, () => {
        const file = readFileSync(`${root}/${block.copies}`, "utf8");
        expect(block.code.split("\n").slice(1).join("\n")).toBe(file);
      });
      return;
    }
    it(`${block.where} runs twice in a row (${block.runtime})`, async () => {
      const outs = await runTwice(block, n);
      // The second run finds what the first left, and ends the same way.
      const last = outs.map((out) => out.trim().split("\n").at(-1) ?? "");
      expect(last[0], "the example prints its outcome last").not.toBe("");
      expect(last[1]).toBe(last[0]);
    }, 120_000);
  });
});
