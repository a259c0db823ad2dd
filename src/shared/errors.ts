/** One way to turn anything thrown into an Error and a one-line message. */

/** `e` itself when it is an Error, else an Error whose message is `String(e)`. */
export function coerceError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/** The message of anything thrown. */
export function errorMessage(e: unknown): string {
  return coerceError(e).message;
}
