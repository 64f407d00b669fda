import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

async function bundle(contents: string) {
  const out = await build({
    stdin: { contents, resolveDir: root, loader: "ts" },
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const output = Object.values(out.metafile.outputs)[0]!;
  return { inputs: Object.keys(output.inputs), imports: output.imports };
}

describe("stater/tus in a browser bundle", () => {
  it("bundles for the browser without touching a node: module", async () => {
    const { inputs, imports } = await bundle(
      `export { addUploads, tusUpload, tusWork } from "./src/tus/mod.ts";`,
    );
    expect(inputs.some((file) => file.startsWith("src/tus/"))).toBe(true);
    expect(inputs.filter((file) => file.startsWith("node:") || file.includes("drivers/"))).toEqual(
      [],
    );
    expect(imports).toEqual([]);
  });

  it("adds nothing to a bundle of the core", async () => {
    const { inputs } = await bundle(`export { createEngine } from "./src/mod.ts";`);
    expect(inputs.filter((file) => file.includes("tus"))).toEqual([]);
  });
});
