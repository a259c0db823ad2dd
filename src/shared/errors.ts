/** The one way to turn whatever was thrown into an Error (or its message). */

/** Returns `value` if it is an Error, else an Error whose message describes it. */
export function coerceError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === "string") return new Error(value);
  try {
    return new Error(JSON.stringify(value) ?? String(value));
  } catch {
    return new Error(String(value));
  }
}

/** The message of whatever was thrown. */
export function errorMessage(value: unknown): string {
  return coerceError(value).message;
}
