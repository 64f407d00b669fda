/**
 * The channel on which a driver asks the holder of a task's Web Lock (in
 * another tab or worker) to apply a write for it, and on which it answers
 * such asks for the tasks it holds itself. A request sent again (every
 * {@linkcode ASK_EVERY_MS} until answered) is applied once.
 *
 * @module
 */

import {
  loadError,
  randomId,
  type StoredError,
  storeError,
  type Write,
  writeId,
  type WriteResult,
} from "../../src/driver.ts";
import { isCloneError, messageOf, notStorable } from "./_errors.ts";

/** How long a sender waits for the holder's answer before it asks again, in ms. */
export const ASK_EVERY_MS = 250;
/** How long a sender keeps trying before it gives up, in ms. */
export const GIVE_UP_MS = 15_000;

/** What a holder answers: a result, or a failure of the store. */
type Answer =
  | { req: string; ok: true }
  | { req: string; conflict: true }
  | { req: string; unstorable: string }
  | { req: string; failed: StoredError };

type Message = { ask: string; write: Write } | Answer;

/** Asks and answers between the drivers of one database. */
export class HolderChannel {
  #asking = new Map<string, (answer: Answer) => void>();
  /** The answers to requests this driver applied (or is applying), for a request sent again. */
  #answers = new Map<string, Promise<Answer>>();
  #channel: BroadcastChannel | undefined;
  #closed = false;

  constructor(
    private readonly channelName: string,
    /** Whether this driver holds task `id` (and may apply a write of it for another). */
    private readonly holds: (id: string) => boolean,
    /** Applies a write this driver was asked for. */
    private readonly apply: (write: Write) => Promise<WriteResult>,
    private readonly giveUpMs: number = GIVE_UP_MS,
  ) {}

  /** Opens the channel (at first use). */
  open(): BroadcastChannel | undefined {
    if (this.#channel || this.#closed || typeof BroadcastChannel !== "function") {
      return this.#channel;
    }
    const channel = new BroadcastChannel(this.channelName);
    channel.onmessage = (event: MessageEvent) => this.#receive(event.data as Message);
    this.#channel = channel;
    return channel;
  }

  /**
   * A write of a task this driver does not hold: done `viaLock` (waiting for
   * the task's lock, granted at once when nobody holds it) while its holder
   * is asked, every {@linkcode ASK_EVERY_MS}, to apply it; whichever comes
   * first does it.
   * When the lock frees just after the holder applied the write, the write
   * done here finds a newer revision and reports a conflict: the caller
   * reads again and sees its own change.
   */
  async ask(
    write: Write,
    viaLock: (signal: AbortSignal) => Promise<WriteResult | undefined>,
  ): Promise<WriteResult> {
    const id = writeId(write);
    if (this.#closed) throw new DOMException("the driver is closed", "InvalidStateError");
    const req = randomId();
    const ac = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let giveUp: ReturnType<typeof setTimeout> | undefined;
    const answered = new Promise<WriteResult>((resolve, reject) => {
      this.#asking.set(req, (answer) => {
        try {
          resolve(this.#result(answer, write));
        } catch (error) {
          reject(error);
        }
      });
      giveUp = setTimeout(() => {
        reject(
          new DOMException(
            `the tab or worker that runs task "${id}" did not answer for ${
              this.giveUpMs / 1000
            } s; try again`,
            "TimeoutError",
          ),
        );
      }, this.giveUpMs);
    });
    const ask = (): void => {
      try {
        this.open()?.postMessage({ ask: req, write } satisfies Message);
      } catch (error) {
        this.#asking.get(req)?.(
          isCloneError(error)
            ? { req, unstorable: messageOf(error) }
            : { req, failed: storeError(error) },
        );
        return;
      }
      timer = setTimeout(ask, ASK_EVERY_MS);
    };
    const locked = viaLock(ac.signal).catch((error: unknown) => {
      if (ac.signal.aborted) return undefined;
      throw error;
    });
    answered.catch(() => {});
    ask();
    try {
      return await Promise.race([answered, locked.then((result) => result ?? answered)]);
    } finally {
      clearTimeout(timer);
      clearTimeout(giveUp);
      this.#asking.delete(req);
      ac.abort();
      await locked.catch(() => {});
    }
  }

  #result(answer: Answer, write: Write): WriteResult {
    if ("ok" in answer) return { ok: true };
    if ("conflict" in answer) return { ok: false, conflict: true };
    if ("unstorable" in answer && write.type === "put") {
      return {
        ok: false,
        error: notStorable(write.record, new DOMException(answer.unstorable, "DataCloneError")),
      };
    }
    throw loadError(
      "failed" in answer
        ? answer.failed
        : { name: "Error", message: "the holder could not store it" },
    );
  }

  #receive(message: Message): void {
    if ("ask" in message) void this.#serve(message.ask, message.write);
    else this.#asking.get(message.req)?.(message);
  }

  /**
   * Applies a write another driver asked for, if this driver holds its task,
   * and answers (once per request, however often it is asked).
   */
  async #serve(req: string, write: Write): Promise<void> {
    let answer = this.#answers.get(req);
    if (!answer) {
      if (!this.holds(writeId(write))) return;
      answer = this.#apply(req, write);
      this.#answers.set(req, answer);
      if (this.#answers.size > 256) this.#answers.delete(this.#answers.keys().next().value!);
    }
    const answered = await answer;
    try {
      this.#channel?.postMessage(answered);
    } catch { /* the channel closed with the driver */ }
  }

  async #apply(req: string, write: Write): Promise<Answer> {
    try {
      const result = await this.apply(write);
      if (result.ok) return { req, ok: true };
      if (result.conflict) return { req, conflict: true };
      return { req, unstorable: result.error.message };
    } catch (error) {
      return { req, failed: storeError(error) };
    }
  }

  /** Closes the channel; writes still waiting for a holder fail with `InvalidStateError`. */
  close(): void {
    this.#closed = true;
    this.#channel?.close();
    this.#channel = undefined;
    for (const [req, answer] of [...this.#asking]) {
      answer({
        req,
        failed: {
          name: "InvalidStateError",
          message: "the driver was closed while the write waited for the task's holder",
        },
      });
    }
  }
}
