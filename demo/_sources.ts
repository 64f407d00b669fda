/**
 * The project's entry points (`stater`, `stater/drivers/…`) mapped to their
 * sources, as deno.json names them, for esbuild's `alias`: the demos import
 * stater by its published names and are bundled from the sources.
 */
import { readFileSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;

/** `{ "stater": "/…/src/mod.ts", "stater/drivers/fs": "/…/drivers/fs/mod.ts", … }`. */
export function sourceAliases(): Record<string, string> {
  const deno = JSON.parse(readFileSync(`${root}deno.json`, "utf8")) as {
    imports: Record<string, string>;
  };
  return Object.fromEntries(
    Object.entries(deno.imports).map((
      [name, path],
    ) => [name, `${root}${path.replace(/^\.\//, "")}`]),
  );
}
