/** The value `ctx.done(result)` returns: a step that returns it finishes its task. */
export class Done<R = unknown> {
  /** The task's result. */
  readonly result: R;
  /** Wraps `result`; call `ctx.done(result)` instead. */
  constructor(result: R) {
    this.result = result;
  }
}
