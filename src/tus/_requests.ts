/**
 * The four tus requests an upload makes: `POST` (creation), `HEAD` (the
 * server's offset), `PATCH` (one chunk) and `DELETE` (termination), each
 * with what its answer means. Answers that change the course of the upload
 * (409, 404, 410) come back as values; the rest become errors.
 *
 * @module
 */

import { encodeMetadata, headerNumber, protocolError, refusal, send } from "./_protocol.ts";
import type { Chunk, Transport } from "./_protocol.ts";
import type { TusUploadState } from "./state.ts";

/** What a `HEAD` found. */
export type HeadAnswer =
  | { kind: "offset"; offset: number; length: number | undefined }
  | { kind: "gone"; status: number };

/** What a `PATCH` did. */
export type PatchAnswer =
  | { kind: "offset"; offset: number }
  | { kind: "conflict" }
  | { kind: "gone"; status: number };

/** The answer's `Upload-Offset`; a protocol error when it has none. */
function offsetIn(transport: Transport, method: string, url: string, response: Response): number {
  const offset = headerNumber(response, "Upload-Offset");
  if (offset !== undefined) return offset;
  throw protocolError(
    transport,
    method,
    url,
    `has no valid Upload-Offset (${JSON.stringify(response.headers.get("Upload-Offset"))})`,
  );
}

/** Creates the upload (`POST` with `Upload-Length` and `Upload-Metadata`); its absolute URL. */
export async function createUpload(
  transport: Transport,
  state: TusUploadState,
  size: number,
): Promise<string> {
  const metadata = encodeMetadata({
    filename: state.name,
    filetype: state.type,
    key: state.key,
    ...state.metadata,
  });
  const response = await send(transport, "POST", state.endpoint, {
    "Upload-Length": String(size),
    "Upload-Metadata": metadata,
  });
  if (response.status < 200 || response.status >= 300) {
    throw await refusal(transport, "POST", state.endpoint, response);
  }
  await response.body?.cancel();
  const location = response.headers.get("Location");
  if (!location) {
    throw protocolError(
      transport,
      "POST",
      state.endpoint,
      `has no Location header (status ${response.status}); a browser page also needs the ` +
        `server to expose it (Access-Control-Expose-Headers)`,
    );
  }
  return new URL(location, state.endpoint).href;
}

/** Asks the server for the upload's offset. */
export async function headUpload(transport: Transport, url: string): Promise<HeadAnswer> {
  const response = await send(transport, "HEAD", url, {});
  await response.body?.cancel();
  if (response.status === 404 || response.status === 410) {
    return { kind: "gone", status: response.status };
  }
  if (response.status < 200 || response.status >= 300) {
    throw await refusal(transport, "HEAD", url, response);
  }
  const offset = offsetIn(transport, "HEAD", url, response);
  return { kind: "offset", offset, length: headerNumber(response, "Upload-Length") };
}

/** Sends `chunk`, the bytes from `offset` on. */
export async function patchChunk(
  transport: Transport,
  url: string,
  offset: number,
  chunk: () => Promise<Chunk>,
): Promise<PatchAnswer> {
  const response = await send(transport, "PATCH", url, {
    "Content-Type": "application/offset+octet-stream",
    "Upload-Offset": String(offset),
  }, chunk);
  if (response.status === 409) {
    await response.body?.cancel();
    return { kind: "conflict" };
  }
  if (response.status === 404 || response.status === 410) {
    await response.body?.cancel();
    return { kind: "gone", status: response.status };
  }
  if (response.status < 200 || response.status >= 300) {
    throw await refusal(transport, "PATCH", url, response);
  }
  await response.body?.cancel();
  return { kind: "offset", offset: offsetIn(transport, "PATCH", url, response) };
}

/** Terminates the upload (`DELETE`); one the server no longer has counts as terminated. */
export async function terminateUpload(transport: Transport, url: string): Promise<void> {
  const response = await send(transport, "DELETE", url, {});
  if (response.status === 404 || response.status === 410 || response.ok) {
    await response.body?.cancel();
    return;
  }
  throw await refusal(transport, "DELETE", url, response);
}
