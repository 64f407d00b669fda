/**
 * `stater/tus`: resumable uploads of `Blob`s, `File`s and file paths to any
 * server speaking the tus 1.0 protocol, as ready-made stater work. One task
 * per file; each step is one request (`POST`, `HEAD` or one `PATCH` of a
 * chunk), committed after it, so an upload outlives reloads, crashes and
 * restarts and goes on by itself from the last byte the server confirmed,
 * without sending any byte twice. It uses only `fetch` and `Blob.slice`, so
 * it runs in a page, a worker, a service worker, Deno and Node.
 *
 * @example
 * ```ts
 * import { createEngine } from "stater";
 * import { memoryDriver } from "stater/drivers/memory";
 * import { tusUpload, tusWork, uploadId } from "stater/tus";
 *
 * const engine = await createEngine({
 *   driver: memoryDriver(), // indexedDBDriver() in a browser, to keep the Files across reloads
 *   work: { upload: tusWork() },
 *   retry: { maxAttempts: 10, initialDelayMs: 1000 },
 *   concurrency: 4,
 * });
 * const file = new File(["hello"], "hello.txt");
 * const state = tusUpload(file, { endpoint: "https://uploads.example.com/files/" });
 * console.log(uploadId(file).startsWith("upload:5:"), state.size); // true 5
 * await engine.close();
 * ```
 *
 * @module
 */

export { DEFAULT_CHUNK_SIZE, type TusUploadOptions, type TusUploadResult } from "./state.ts";
export { type KeptFile, tusUpload, type TusUploadState } from "./state.ts";
export { type HeaderRecord, type TusWork, tusWork, type TusWorkOptions } from "./work.ts";
export { addUploads, type AddUploadsOptions, type UploadTask } from "./uploads.ts";
export { type FileFacts, uploadId, type UploadIdOptions } from "./ids.ts";
export { checkStorageRoom, requestPersistence } from "./storage.ts";
export type { StorageLike, StorageOptions, StorageRoom } from "./storage.ts";
export { namingByUploadKey } from "./naming.ts";
export { StorageRoomError, TusError, type TusErrorCode, type TusErrorDetails } from "./errors.ts";
export { waitingForNetwork } from "./_online.ts";
