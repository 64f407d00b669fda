/**
 * The uploader's command line and its folder: what it was asked to do, or a
 * {@linkcode CliInputError} that says what to do instead (exit code 2).
 */
import { readdir, stat } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { StaterError } from "stater";

/** Why the command line cannot be run. */
export type CliInputCode =
  | "CLI_NO_FOLDER"
  | "CLI_FOLDER_NOT_FOUND"
  | "CLI_NOT_A_FOLDER"
  | "CLI_FOLDER_EMPTY"
  | "CLI_BAD_URL"
  | "CLI_UNREACHABLE"
  | "CLI_BAD_OPTION";

/** Bad input on the command line: the message says what to do. */
export class CliInputError extends StaterError {
  /** Creates the error. */
  constructor(code: CliInputCode, message: string) {
    super(code, message);
  }
}

/** What the command line asks for. */
export interface CliOptions {
  /** The folder to upload, absolute. */
  folder: string;
  /** The tus creation endpoint; `undefined`: the demo's own server. */
  endpoint?: string;
  /** Bytes per `PATCH`; `undefined`: stater/tus's default (4 MiB). */
  chunkSize?: number;
  /** Uploads at once. */
  concurrency: number;
  /** Where the tasks are stored; `undefined`: the runtime's default. */
  store?: string;
  /** The folder the demo's own server stores uploads in; `undefined`: the default. */
  uploads?: string;
}

/** The usage text, for errors and `--help`. */
export function usage(command: string): string {
  return [
    `usage: ${command} -- <folder> [--endpoint URL] [--chunk-size BYTES] [--concurrency N]`,
    "                [--store DIR] [--uploads DIR]",
    "",
    "Uploads every file of <folder> (and its subfolders) to a tus server: --endpoint, or the",
    "demo's own server on 127.0.0.1, which keeps the uploads in .stater/uploads (--uploads).",
    "Stop it at any moment (Ctrl-C, or kill -9) and run it again: it goes on where it stopped.",
  ].join("\n");
}

const VALUED = new Set(["--endpoint", "--chunk-size", "--concurrency", "--store", "--uploads"]);

function wholeNumber(name: string, text: string, min: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) {
    throw new CliInputError(
      "CLI_BAD_OPTION",
      `${name} needs a whole number ≥ ${min}, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

function checkEndpoint(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new CliInputError(
      "CLI_BAD_URL",
      `--endpoint needs the http(s) URL of a tus server's creation endpoint, such as ` +
        `http://127.0.0.1:1080/files/, got ${JSON.stringify(text)}. Leave --endpoint out to ` +
        `upload to the demo's own server`,
    );
  }
  return url.href;
}

/**
 * Reads the arguments after the script's name. `cwd` is where relative
 * paths start (npm runs scripts in the project's folder, and says where the
 * command was typed in `INIT_CWD`).
 */
export function parseArguments(args: readonly string[], cwd: string): CliOptions {
  const values = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [name, inline] = arg.startsWith("--") ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    if (!arg.startsWith("--") || arg === "--") {
      if (arg !== "--") positional.push(arg);
      continue;
    }
    if (!VALUED.has(name!)) {
      throw new CliInputError("CLI_BAD_OPTION", `Unknown option ${arg}`);
    }
    const value = inline ?? args[++i];
    if (value === undefined) throw new CliInputError("CLI_BAD_OPTION", `${name} needs a value`);
    values.set(name!, value);
  }
  if (positional.length === 0) {
    throw new CliInputError("CLI_NO_FOLDER", "Name the folder to upload");
  }
  if (positional.length > 1) {
    throw new CliInputError(
      "CLI_BAD_OPTION",
      `Name one folder to upload, got ${positional.length}: ${positional.join(" ")}`,
    );
  }
  const endpoint = values.get("--endpoint");
  const chunkSize = values.get("--chunk-size");
  const concurrency = values.get("--concurrency");
  const store = values.get("--store");
  const uploads = values.get("--uploads");
  return {
    folder: resolve(cwd, positional[0]!),
    endpoint: endpoint === undefined ? undefined : checkEndpoint(endpoint),
    chunkSize: chunkSize === undefined ? undefined : wholeNumber("--chunk-size", chunkSize, 1),
    concurrency: concurrency === undefined ? 4 : wholeNumber("--concurrency", concurrency, 1),
    store: store === undefined ? undefined : resolve(cwd, store),
    uploads: uploads === undefined ? undefined : resolve(cwd, uploads),
  };
}

/** A file to upload. */
export interface FolderFile {
  /** Its absolute path. */
  path: string;
  /** Its path inside the folder, for display. */
  name: string;
  /** Its size in bytes. */
  size: number;
}

async function walk(dir: string, into: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, into);
    else if (entry.isFile()) into.push(path);
  }
}

/** Every file of `folder` and its subfolders, sorted by path; an error for a bad folder. */
export async function folderFiles(folder: string): Promise<FolderFile[]> {
  const info = await stat(folder).catch(() => undefined);
  if (!info) {
    throw new CliInputError(
      "CLI_FOLDER_NOT_FOUND",
      `There is no folder ${folder}: check the path (relative paths start where you typed the ` +
        `command)`,
    );
  }
  if (!info.isDirectory()) {
    throw new CliInputError(
      "CLI_NOT_A_FOLDER",
      `${folder} is a file, not a folder: name the folder that holds the files to upload`,
    );
  }
  const paths: string[] = [];
  await walk(folder, paths);
  if (paths.length === 0) {
    throw new CliInputError(
      "CLI_FOLDER_EMPTY",
      `${folder} holds no files (nor do its subfolders): put the files to upload in it`,
    );
  }
  paths.sort();
  return await Promise.all(paths.map(async (path) => ({
    path,
    name: relative(folder, path),
    size: (await stat(path)).size,
  })));
}
