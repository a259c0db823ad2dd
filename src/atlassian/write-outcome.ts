/** Result of an idempotent write: it happened now, or it was already in that state. */
export type WriteOutcome = "done" | "already";
