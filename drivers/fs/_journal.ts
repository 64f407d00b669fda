/**
 * The journal open for appending. Each commit batch is framed here, where
 * its offset is known, with `back`: how far before the frame the data known
 * to be on the disk ends (0 when every earlier frame was flushed, as in
 * strict durability). Frames go after the valid data with positioned writes,
 * so a failed write can be cut off, and zeros are kept ahead of the data.
 *
 * @module
 */

import { fdatasyncSync, ftruncateSync, writeSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { BACK_BYTES, FRAME_HEADER, seal, setBack } from "./_frame.ts";

/** How far the journal reserves space ahead of its data, with zeros. */
const RESERVE = 256 * 1024;
/** The largest frame buffer kept between appends. */
const KEEP_BUFFER = 4 * 1024 * 1024;

// Made on first use: importing the driver touches nothing.
let zeros: Uint8Array | undefined;
let encoder: TextEncoder | undefined;

/** The journal, open for appending frames at its valid length. */
export class AppendFile {
  /** The valid length; the next frame goes here. */
  size: number;
  /** Set when a failed write could not be cut off: the file must be reopened (recovery drops the partial frame). */
  damaged = false;
  /** The file's length: `size` plus the zeros written ahead. */
  #allocated: number;
  /** Where the data known to be on the disk ends. */
  #durable: number;
  /** Where frames are built, reused from one append to the next. */
  #buffer = new Uint8Array(4096);

  private constructor(readonly path: string, private readonly handle: FileHandle, size: number) {
    this.size = size;
    this.#allocated = size;
    this.#durable = size;
  }

  /**
   * Opens `path` (which must exist) for appending at `size`, cutting off what
   * lies after it, and flushes it: an earlier process may have left bytes
   * that are not on the disk yet (relaxed durability), and the frames
   * written from now on say that everything before them is.
   */
  static async open(path: string, size: number): Promise<AppendFile> {
    const handle = await open(path, "r+");
    try {
      if ((await handle.stat()).size !== size) await handle.truncate(size);
      await handle.datasync();
    } catch (error) {
      await handle.close();
      throw error;
    }
    return new AppendFile(path, handle, size);
  }

  /**
   * Writes zeros ahead of the data, so that most appends overwrite space the
   * file already has: their fdatasync then has no file length to record,
   * which is faster than appending to a growing file. A failure here is not
   * an error: the append itself still extends the file.
   */
  async #reserve(upTo: number, sync: boolean): Promise<void> {
    const target = upTo + RESERVE;
    let at = this.#allocated;
    try {
      while (at < target) {
        const z = (zeros ??= new Uint8Array(64 * 1024));
        const n = Math.min(z.length, target - at);
        at += sync
          ? writeSync(this.handle.fd, z, 0, n, at)
          : (await this.handle.write(z, 0, n, at)).bytesWritten;
      }
    } catch {
      // Out of space for the reserve: the append below reports it if it does not fit either.
    }
    this.#allocated = at;
  }

  /** The frame of `text` written at `at`, in the reused buffer. */
  #frame(text: string, at: number): Uint8Array {
    // UTF-8 takes at most 3 bytes for each UTF-16 code unit.
    const most = FRAME_HEADER + BACK_BYTES + 3 * text.length;
    let buffer = this.#buffer;
    if (buffer.length < most) {
      buffer = new Uint8Array(most);
      if (most <= KEEP_BUFFER) this.#buffer = buffer;
    }
    const { written } = (encoder ??= new TextEncoder()).encodeInto(
      text,
      buffer.subarray(FRAME_HEADER + BACK_BYTES),
    );
    setBack(buffer, 0, at - this.#durable);
    seal(buffer, 0, BACK_BYTES + written);
    return buffer.subarray(0, FRAME_HEADER + BACK_BYTES + written);
  }

  /**
   * Frames `text` (one commit batch) and writes it at the end; on failure
   * cuts the partial bytes off again and rethrows. `sync` uses blocking calls.
   */
  async append(text: string, sync: boolean): Promise<void> {
    const at = this.size;
    const bytes = this.#frame(text, at);
    if (at + bytes.length > this.#allocated) await this.#reserve(at + bytes.length, sync);
    let done = 0;
    try {
      while (done < bytes.length) {
        done += sync
          ? writeSync(this.handle.fd, bytes, done, bytes.length - done, at + done)
          : (await this.handle.write(bytes, done, bytes.length - done, at + done)).bytesWritten;
      }
    } catch (error) {
      // Leave no partial frame behind, so the next one follows whole frames.
      try {
        ftruncateSync(this.handle.fd, at);
        this.#allocated = at;
      } catch {
        this.damaged = true;
      }
      throw error;
    }
    this.size = at + bytes.length;
  }

  /** Flushes the written bytes to the disk (fdatasync). `sync` uses the blocking call. */
  async flush(sync: boolean): Promise<void> {
    const upTo = this.size;
    if (sync) fdatasyncSync(this.handle.fd);
    else await this.handle.datasync();
    if (upTo > this.#durable) this.#durable = upTo;
  }

  /** Closes the file. */
  async close(): Promise<void> {
    await this.handle.close();
  }
}
