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
