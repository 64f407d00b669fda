/**
 * The package as users get it: `npm pack` (which builds it first), then a
 * consumer project of its own that installs the tarball from its file and
 * type-checks every entry point with `skipLibCheck: false`, the way strict
 * setups and library authors compile. Offline: the one dependency, `idb`,
 * is linked from this repository's node_modules.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");

let dir: string;
let tarball: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "stater-pack-"));
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", dir], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  const [packed] = JSON.parse(stdout) as { filename: string }[];
  tarball = join(dir, packed!.filename);
}, 180_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Every entry point of package.json's export map, as a consumer imports it. */
async function entryPoints(): Promise<string[]> {
  const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8"));
  return Object.keys(pkg.exports).map((key) => (key === "." ? "stater" : `stater/${key.slice(2)}`));
}

describe("a project that installs the packed tarball", () => {
  let consumer: string;

  beforeAll(async () => {
    consumer = join(dir, "consumer");
    await mkdir(consumer);
    await writeFile(
      join(consumer, "package.json"),
      JSON.stringify({
        name: "consumer",
        private: true,
        type: "module",
        dependencies: {
          stater: `file:${tarball}`,
          idb: `file:${join(ROOT, "node_modules", "idb")}`,
        },
      }),
    );
    await run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts"], {
      cwd: consumer,
    });
    const entries = await entryPoints();
    expect(entries).toEqual(expect.arrayContaining([
      "stater",
      "stater/driver",
      "stater/drivers/memory",
      "stater/drivers/fs",
      "stater/drivers/indexeddb",
      "stater/drivers/deno-kv",
    ]));
    const imports = entries.map((name, i) => `import * as entry${i} from "${name}";`);
    await writeFile(
      join(consumer, "index.ts"),
      `${imports.join("\n")}\nexport const all = [${
        imports.map((_, i) => `entry${i}`).join(", ")
      }];\n`,
    );
  }, 120_000);

  const settings: [string, string][] = [["NodeNext", "NodeNext"], ["ESNext", "Bundler"]];
  for (const [module, resolution] of settings) {
    it(
      `type-checks every entry point with skipLibCheck: false under moduleResolution ${resolution}`,
      async () => {
        const config = `tsconfig.${resolution.toLowerCase()}.json`;
        await writeFile(
          join(consumer, config),
          JSON.stringify({
            compilerOptions: {
              target: "ES2022",
              module,
              moduleResolution: resolution,
              lib: ["ES2022", "ESNext.Disposable", "DOM", "DOM.Iterable"],
              types: [],
              strict: true,
              exactOptionalPropertyTypes: true,
              noUncheckedIndexedAccess: true,
              skipLibCheck: false,
              noEmit: true,
            },
            files: ["index.ts"],
          }),
        );
        const checked = await run(process.execPath, [TSC, "-p", config], { cwd: consumer }).then(
          () => "",
          (error: { stdout?: string }) => error.stdout ?? String(error),
        );
        expect(checked, "tsc's errors").toBe("");
      },
      120_000,
    );
  }
});
