/**
 * One step of an upload: the request it makes, and the state it commits.
 *
 * - No URL yet: `POST` creates the upload, and the step returns the state
 *   with the URL, so the engine commits it before any `PATCH` is sent.
 * - Otherwise, when this process has not confirmed the server's offset for
 *   this very state (the first step after a start, a restart, an error or an
 *   abort), `HEAD` asks for it first: no byte the server has is sent again.
 * - Then one `PATCH` of `chunkSize` bytes from that offset; the step returns
 *   the state at the offset the server answered. A state whose upload is
 *   complete drops its `Blob`, so the finished record keeps no file bytes.
 * - `409` commits the server's offset (from a `HEAD`) and goes on from there;
 *   `404` and `410` forget the URL, so the next step creates the upload again
 *   (under the same key).
 *
 * @module
 */

import { isBlob } from "./_util.ts";
import type { StepContext } from "../mod.ts";
import { TusError } from "./errors.ts";
import { protocolError, type Transport } from "./_protocol.ts";
import { createUpload, headUpload, patchChunk } from "./_requests.ts";
import { openSource, type Source } from "./_source.ts";
import { type TusUploadState } from "./state.ts";

/** What a step works with. */
export interface Run {
  transport: Transport;
  ctx: StepContext;
  /** Marks a state whose offset the server confirmed in this process; returns it. */
  confirm(state: TusUploadState): TusUploadState;
}

/** The state at the server's `offset`; a complete upload lets go of its `Blob`. */
export function at(state: TusUploadState, offset: number): TusUploadState {
  const next = { ...state, offset };
  if (offset === state.size && isBlob(next.source)) delete next.source;
  return next;
}

/** The state without its URL: the next step creates the upload again. */
function recreate(run: Run, state: TusUploadState): TusUploadState {
  const next = { ...state, offset: 0 };
  delete next.url;
  run.ctx.progress(0, state.size);
  return next;
}

/** The server's offset for the upload, checked against the file; `undefined` when it is gone. */
async function serverOffset(run: Run, url: string, size: number): Promise<number | undefined> {
  const answer = await headUpload(run.transport, url);
  if (answer.kind === "gone") return undefined;
  if (answer.length !== undefined && answer.length !== size) {
    throw protocolError(
      run.transport,
      "HEAD",
      url,
      `says the upload is ${answer.length} bytes long, but the file has ${size}: it is not ` +
        `this file's upload`,
    );
  }
  if (answer.offset > size) {
    throw protocolError(
      run.transport,
      "HEAD",
      url,
      `claims an offset of ${answer.offset} bytes in a file of ${size}`,
    );
  }
  return answer.offset;
}

/** Takes the upload one request further; see the module documentation. */
export async function advance(run: Run, state: TusUploadState, known: boolean): Promise<
  TusUploadState
> {
  const source = await openSource(state);
  try {
    if (state.url === undefined) {
      const created = await createUpload(run.transport, state, source.size);
      const next: TusUploadState = { ...state, url: created, size: source.size, offset: 0 };
      if (source.lastModified !== undefined) next.lastModified = source.lastModified;
      run.ctx.progress(0, source.size);
      return run.confirm(next);
    }
    return await sendChunk(run, state, state.url, source, known);
  } finally {
    await source.close();
  }
}

/** One `PATCH` (after a `HEAD` unless the offset is `known`). */
async function sendChunk(
  run: Run,
  state: TusUploadState,
  url: string,
  source: Source,
  known: boolean,
): Promise<TusUploadState> {
  const { transport, ctx } = run;
  const size = source.size;
  let offset = state.offset;
  if (!known) {
    const found = await serverOffset(run, url, size);
    if (found === undefined) return recreate(run, state);
    offset = found;
    if (offset !== state.offset) ctx.progress(offset, size);
    if (offset === size) return run.confirm(at(state, size));
  }
  const end = Math.min(offset + state.chunkSize, size);
  const answer = await patchChunk(transport, url, offset, () => source.read(offset, end));
  if (answer.kind === "gone") return recreate(run, state);
  if (answer.kind === "conflict") {
    const found = await serverOffset(run, url, size);
    if (found === undefined) return recreate(run, state);
    ctx.progress(found, size);
    return run.confirm(at(state, found));
  }
  if (answer.offset < offset || answer.offset > end) {
    throw protocolError(
      transport,
      "PATCH",
      url,
      `says the upload now holds ${answer.offset} bytes, but ${
        end - offset
      } bytes were sent from offset ${offset}`,
    );
  }
  if (answer.offset === offset) {
    throw new TusError(
      "TUS_SERVER_ERROR",
      `Uploading "${state.name}": the server took none of the ${
        end - offset
      } bytes sent to ${url} from offset ${offset}`,
      { file: state.name, method: "PATCH", url, status: 204, retryable: true },
    );
  }
  ctx.progress(answer.offset, size);
  return run.confirm(at(state, answer.offset));
}
