/**
 * Telling database errors apart, the same way for node-postgres and PGlite (both carry the
 * SQLSTATE in `code`; node-postgres puts socket errors' codes there too).
 */

function codeOf(error: unknown): string | undefined {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | null | undefined;
  if (typeof e?.code === "string") return e.code;
  if (typeof e?.cause?.code === "string") return e.cause.code;
  return undefined;
}

/** A unique constraint or unique index refused the row (SQLSTATE 23505). */
export function isUniqueViolation(error: unknown): boolean {
  return codeOf(error) === "23505";
}

const TRANSIENT_SOCKET_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);

/**
 * The database went away or is restarting, and a later attempt may work: socket errors,
 * connection exceptions (SQLSTATE class 08), admin/crash shutdown and "cannot connect now"
 * (57P01–57P03), and node-postgres's own "Connection terminated" errors.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  const code = codeOf(error);
  if (code !== undefined) {
    if (TRANSIENT_SOCKET_CODES.has(code)) return true;
    if (code.startsWith("08")) return true;
    if (code === "57P01" || code === "57P02" || code === "57P03") return true;
  }
  const message = error instanceof Error ? error.message : "";
  return /Connection terminated|connection .*(?:closed|ended)|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(
    message,
  );
}
