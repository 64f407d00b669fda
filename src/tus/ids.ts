/**
 * {@linkcode uploadId}: a stable task id for a file, so that adding the same
 * file twice finds its task instead of uploading it twice.
 *
 * @module
 */

/** What identifies a file when it is not a `File`: a path stands for the name. */
export interface FileFacts {
  /** The file's name or path (for a path source, its absolute path). */
  name: string;
  /** Its size in bytes. */
  size: number;
  /** Its modification time, in ms since the epoch. */
  lastModified?: number;
}

/** Options of {@linkcode uploadId}. */
export interface UploadIdOptions {
  /** The folder the file was picked from, when the page knows it (prefixed to its path). */
  folder?: string;
  /** The id's first part, to keep ids of different upload lists apart. @default "upload" */
  prefix?: string;
}

/**
 * A task id for a file, made of its path (a `File`'s `webkitRelativePath`
 * when picked with a folder, else its name, after `folder`), size and
 * modification time. The same file picked again gets the same id, and
 * `engine.create` with an id that exists returns the existing task, so the
 * file is not uploaded twice; a file that changed gets a new id. Two
 * different files with the same path, size and time would share an id: pass
 * a `folder` (or a `prefix`) that tells them apart.
 *
 * @example
 * ```ts
 * import { uploadId } from "stater/tus";
 *
 * const file = new File(["hello"], "hello.txt", { lastModified: 1700000000000 });
 * console.log(uploadId(file)); // upload:5:1700000000000:hello.txt
 * console.log(uploadId(file, { folder: "holidays" })); // upload:5:1700000000000:holidays/hello.txt
 * ```
 */
export function uploadId(file: File | FileFacts, options: UploadIdOptions = {}): string {
  if (typeof file !== "object" || file === null) {
    throw new TypeError(`uploadId(file) needs a File or { name, size }, got ${typeof file}`);
  }
  const relative = (file as Partial<File>).webkitRelativePath || file.name;
  if (typeof relative !== "string" || relative === "") {
    throw new TypeError(
      "uploadId(file) needs a file with a name: a plain Blob has none, so pass { name, size } " +
        "instead",
    );
  }
  if (!Number.isSafeInteger(file.size) || file.size < 0) {
    throw new TypeError(`uploadId(file) needs a size in bytes, got ${String(file.size)}`);
  }
  const { folder, prefix = "upload" } = options;
  const path = folder ? `${folder.replace(/[/\\]+$/, "")}/${relative}` : relative;
  const time = file.lastModified === undefined ? "" : Math.trunc(file.lastModified);
  // The path goes last, so that a path holding ":" keeps the id unambiguous.
  return `${prefix}:${file.size}:${time}:${path}`;
}
