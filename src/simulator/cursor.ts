import { createHash } from "node:crypto";

/**
 * Opaque pagination cursors. A cursor is base64url JSON carrying the org, the endpoint kind and
 * whatever the endpoint needs to resume (usually the filters and an offset), so it stays valid
 * across server restarts with the same seed. A cursor from another org or endpoint is rejected.
 */

function orgTag(orgId: string): string {
  return createHash("sha256").update(orgId).digest("base64url").slice(0, 8);
}

/** Encodes `payload` as a cursor for endpoint `kind` of org `orgId`. */
export function encodeCursor(
  orgId: string,
  kind: string,
  payload: Record<string, unknown>,
): string {
  return Buffer.from(JSON.stringify({ o: orgTag(orgId), k: kind, p: payload })).toString(
    "base64url",
  );
}

/** Decodes a cursor; returns undefined when it is malformed or belongs elsewhere. */
export function decodeCursor(
  orgId: string,
  kind: string,
  raw: string,
): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
    if (typeof parsed !== "object" || parsed === null) return undefined;
    const { o, k, p } = parsed as { o?: unknown; k?: unknown; p?: unknown };
    if (o !== orgTag(orgId) || k !== kind || typeof p !== "object" || p === null) return undefined;
    return p as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
