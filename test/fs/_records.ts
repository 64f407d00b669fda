/** Records for the fs driver's tests. */
import type { TaskRecord } from "../../src/driver.ts";

/** A running record of `id` at revision `rev`, whose state is `{ rev }`, with `extra` over it. */
export function record(id: string, rev: number, extra: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id,
    work: "w",
    status: "running",
    state: { rev },
    step: rev,
    rev,
    createdAt: 1,
    updatedAt: rev,
    ...extra,
  };
}
