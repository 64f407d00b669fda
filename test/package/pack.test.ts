/**
 * The package as users get it. The package's files are copied to a folder
 * of their own, built there as `npm run build` builds them, and packed with
 * `npm pack` (so the tests never touch this repository's dist/). Then: what
 * the tarball holds; a consumer project that installs the tarball from its
 * file and type-checks every entry point with `skipLibCheck: false`, the way
 * strict setups and library authors compile (offline: the one dependency,
 * `idb`, is linked from this repository's node_modules); and what
 * `deno publish` would send to JSR.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");
const PACKAGE_FILES = [
  "package.json",
  "README.md",
  "LICENSE",
  "tsconfig.json",
  "tsconfig.build.json",
  "src",
  "drivers",
];

let dir: string;
let tarball: string;
/** The paths in the tarball, relative to the package. */
let packed: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "stater-pack-"));
  const stage = join(dir, "stage");
  for (const file of PACKAGE_FILES.filter((file) => existsSync(join(ROOT, file)))) {
    await cp(join(ROOT, file), join(stage, file), { recursive: true });
  }
  await symlink(join(ROOT, "node_modules"), join(stage, "node_modules"), "dir");
  await run(process.execPath, [TSC, "-p", "tsconfig.build.json"], { cwd: stage });
  const { stdout } = await run(
    "npm",
    ["pack", "--json", "--ignore-scripts", "--pack-destination", dir],
    { cwd: stage, maxBuffer: 64 * 1024 * 1024 },
  );
  const [result] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(dir, result!.filename);
  packed = result!.files.map((file) => file.path).sort();
}, 180_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Every entry point of package.json's export map, as a consumer imports it. */
async function entryPoints(): Promise<string[]> {
  const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8"));
  return Object.keys(pkg.exports).map((key) => (key === "." ? "stater" : `stater/${key.slice(2)}`));
}

describe("defect 10: a project that installs the packed tarball", () => {
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
      "stater/drivers/postgres",
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

describe("defect 15: the npm tarball", () => {
  it("holds the build, the sources its maps point to, the READMEs and the license, and nothing else", () => {
    expect(packed).toEqual(expect.arrayContaining([
      "LICENSE",
      "README.md",
      "package.json",
      "drivers/deno-kv/README.md",
      "drivers/postgres/README.md",
      "drivers/fs/README.md",
      "drivers/indexeddb/README.md",
      "dist/src/mod.js",
      "dist/src/mod.d.ts",
      "src/mod.ts",
    ]));
    const allowed =
      /^(dist\/.+\.(js|js\.map|d\.ts|d\.ts\.map)|(src|drivers)\/.+\.ts|(drivers\/[a-z-]+|src\/tus)\/README\.md)$/;
    const others = packed.filter((path) =>
      !allowed.test(path) && !["LICENSE", "README.md", "package.json"].includes(path)
    );
    expect(others, "files users do not need").toEqual([]);
    expect(
      packed.filter((path) =>
        /(^|\/)(test|bench|demo|\.ci)\/|\.test\.|(^|\/)(package-lock\.json|deno\.lock)$/.test(path)
      ),
    )
      .toEqual([]);
  });

  it("builds every source it ships, and nothing that has no source", () => {
    const sources = packed.filter((path) => /^(src|drivers)\/.+\.ts$/.test(path));
    const built = packed.filter((path) => /^dist\/.+\.js$/.test(path));
    expect(built.map((path) => path.replace(/^dist\//, "").replace(/\.js$/, ".ts")).sort())
      .toEqual(sources);
    for (const js of built) {
      expect(packed, js).toContain(js.replace(/\.js$/, ".d.ts"));
      expect(packed, js).toContain(`${js}.map`);
    }
  });

  it("has source maps whose sources are in the tarball", async () => {
    const maps = packed.filter((path) => path.endsWith(".map"));
    expect(maps.length).toBeGreaterThan(0);
    const { stdout } = await run("tar", ["-xzf", tarball, "-C", dir]);
    expect(stdout).toBe("");
    for (const map of maps) {
      const { sources } = JSON.parse(await readFile(join(dir, "package", map), "utf8")) as {
        sources: string[];
      };
      for (const source of sources) {
        const target = join(map, "..", source).replaceAll("\\", "/");
        expect(packed, `${map} points to ${source}`).toContain(target);
      }
    }
  });

  it("maps every entry point of the export map to files it holds", async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8"));
    for (const target of Object.values(pkg.exports as Record<string, Record<string, string>>)) {
      for (const file of Object.values(target)) expect(packed).toContain(file.slice(2));
    }
  });
});

describe("defect 15: deno publish", () => {
  it(
    "passes its dry run and would send JSR the sources, the READMEs, the license and deno.json only",
    async () => {
      const { stdout, stderr } = await run(
        join(ROOT, "node_modules", ".bin", "deno"),
        ["publish", "--dry-run", "--allow-dirty"],
        { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: "1" } },
      );
      const output = `${stdout}\n${stderr}`;
      expect(output).toContain("Dry run complete");
      const files = [...output.matchAll(/^\s+file:\/\/\S+?\/((?:src|drivers)\/\S+|[^/\s]+) \(/gm)]
        .map((match) => match[1]!);
      expect(files).toEqual(
        expect.arrayContaining(["LICENSE", "README.md", "deno.json", "src/mod.ts"]),
      );
      const allowed =
        /^((src|drivers)\/.+\.ts|(drivers\/[a-z-]+|src\/tus)\/README\.md|LICENSE|README\.md|deno\.json)$/;
      expect(files.filter((file) => !allowed.test(file)), "files JSR users do not need").toEqual(
        [],
      );
    },
    180_000,
  );
});
