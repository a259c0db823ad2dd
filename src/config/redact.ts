/**
 * Secret-safe descriptions of connection strings and config values. Every printout of a
 * URL that may carry a password goes through here.
 */

/** "user@host:port/db" for a Postgres URL: names the host, never the password. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    const user = u.username ? `${decodeURIComponent(u.username)}@` : "";
    const port = u.port ? `:${u.port}` : "";
    const db = u.pathname && u.pathname !== "/" ? u.pathname : "";
    return `${user}${u.hostname}${port}${db}`;
  } catch {
    return "an unparseable DATABASE_URL";
  }
}

/** The URL with its password replaced by "***" (e.g. for SMTP URLs in logs). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "<unparseable URL>";
  }
}

/** Keeps the last 4 characters of a key so an admin can tell keys apart. */
export function redactSecret(secret: string | undefined): string | undefined {
  if (!secret) return secret;
  return secret.length <= 8 ? "***" : `***${secret.slice(-4)}`;
}

export const REDACTED = "[REDACTED]";

/**
 * Runs of at least this many consecutive characters of a secret are redacted, wherever they
 * stand: a server that echoes the key may cut, wrap or re-case it, and a long enough piece of
 * a key is as good as the key to whoever collects pieces.
 */
export const MIN_SECRET_RUN = 8;

// Any credential after "Bearer", even one we were not given (a proxy may echo another key).
const BEARER = /\bBearer\s+[^\s"',;]+/gi;

/** ASCII-only lowercasing, so indexes in the folded text match the original. */
const fold = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

/**
 * `text` with every secret scrubbed: each run of ≥ `MIN_SECRET_RUN` consecutive characters of a
 * secret (the whole secret when it is shorter), in any letter case, becomes `[REDACTED]`, and so
 * does any `Bearer <token>`. Empty secrets are ignored.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    const key = fold(secret.trim());
    if (key === "") continue;
    const width = Math.min(MIN_SECRET_RUN, key.length);
    if (out.length < width) continue;
    const pieces = new Set<string>();
    for (let i = 0; i + width <= key.length; i++) pieces.add(key.slice(i, i + width));
    const folded = fold(out);
    // mark every position covered by a window that is a piece of the key; runs merge
    const covered = new Uint8Array(out.length);
    let any = false;
    for (let i = 0; i + width <= folded.length; i++) {
      if (pieces.has(folded.slice(i, i + width))) {
        covered.fill(1, i, i + width);
        any = true;
      }
    }
    if (!any) continue;
    let next = "";
    for (let i = 0; i < out.length;) {
      if (covered[i]) {
        next += REDACTED;
        while (i < out.length && covered[i]) i++;
      } else {
        const start = i;
        while (i < out.length && !covered[i]) i++;
        next += out.slice(start, i);
      }
    }
    out = next;
  }
  return out.replace(BEARER, `Bearer ${REDACTED}`);
}

/**
 * The first `max` characters of `text` after `redact` has scrubbed it — never the other way
 * round: cutting first could leave a piece of a secret too short to recognise. Only a prefix
 * is scrubbed (growing until it is long enough), so quoting a huge body stays cheap.
 */
export function redactThenTruncate(
  text: string,
  max: number,
  redact: (s: string) => string,
): string {
  // A secret cut at the end of the prefix leaves fewer than MIN_SECRET_RUN characters
  // unrecognised there; a redacted prefix this much longer than `max` keeps them out of the quote.
  const margin = MIN_SECRET_RUN + 64;
  for (let take = max + margin; ; take *= 2) {
    const prefix = text.slice(0, take);
    const clean = redact(prefix);
    if (prefix.length === text.length || clean.length >= max + margin) {
      return clean.slice(0, max);
    }
  }
}
