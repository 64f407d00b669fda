/**
 * {@linkcode namingByUploadKey}: the server half of "never a duplicate
 * upload", for `@tus/server`.
 *
 * @module
 */

import { randomKey } from "./_util.ts";

const KEY = /^[\w-]{8,128}$/;

/**
 * A `namingFunction` for `@tus/server` that names each upload by the `key`
 * that stater sends in `Upload-Metadata`. A client that crashes after the
 * server created its upload but before it committed the URL sends the same
 * `POST` again when it comes back, and gets the same upload back instead of
 * a second one. A `POST` without a usable key (another client) gets a random
 * name, as by default.
 *
 * With `@tus/file-store`, a `POST` that names an existing upload starts it
 * again empty; stater only sends one before any byte of that upload was sent
 * (or after the server lost it), so nothing is lost. The key is as secret as
 * the upload URL it names: both are 128 random bits.
 *
 * @example
 * ```ts
 * import { namingByUploadKey } from "stater/tus";
 *
 * // new Server({ path: "/files", datastore, namingFunction: namingByUploadKey })
 * console.log(namingByUploadKey(undefined, { key: "3f2a9c0d8e7b6a5f4e3d2c1b0a998877" }));
 * // 3f2a9c0d8e7b6a5f4e3d2c1b0a998877
 * ```
 */
export function namingByUploadKey(
  _request: unknown,
  metadata?: Record<string, string | null | undefined> | null,
): string {
  const key = metadata?.key;
  return typeof key === "string" && KEY.test(key) ? key : randomKey();
}
