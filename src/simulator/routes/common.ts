import { z } from "zod";
import { decodeCursor, encodeCursor } from "../cursor.ts";
import { adminErrors, invalidCursor } from "../errors.ts";
import type { SimResponse } from "../errors.ts";
import type { RouteContext } from "../http/route.ts";
import type { SimUser } from "../model.ts";
import { ALL_DIRECTORIES } from "../org-state.ts";

/** v2 `links` for an offset page: `self`, `prev` and `next` are opaque cursors. */
export function v2Links(
  ctx: RouteContext,
  kind: string,
  query: Record<string, unknown>,
  offset: number,
  limit: number,
  total: number,
): Record<string, string> {
  const at = (off: number) => encodeCursor(ctx.state.org.id, kind, { q: query, off, limit });
  const links: Record<string, string> = { self: at(offset) };
  if (offset > 0) links.prev = at(Math.max(0, offset - limit));
  if (offset + limit < total) links.next = at(offset + limit);
  return links;
}

const offsetCursor = z.object({
  q: z.record(z.string(), z.unknown()),
  off: z.number().int().min(0),
  limit: z.number().int().min(1),
});

/** Decodes an offset cursor for `kind`; undefined when invalid (caller answers `ADMIN-400-1`). */
export function readOffsetCursor(
  ctx: RouteContext,
  kind: string,
  raw: string,
): z.infer<typeof offsetCursor> | undefined {
  const parsed = offsetCursor.safeParse(decodeCursor(ctx.state.org.id, kind, raw));
  return parsed.success ? parsed.data : undefined;
}

/** Parses `limit` from a query string within [1, max]; undefined when absent; NaN when invalid. */
export function queryLimit(q: URLSearchParams, max: number): number | undefined {
  const raw = q.get("limit");
  if (raw === null) return undefined;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 && n <= max ? n : Number.NaN;
}

/** 404 for an unknown directory in a v2 path. */
export function directoryNotFound(): SimResponse {
  return adminErrors(
    404,
    "ADMIN-404-1",
    "Not Found",
    "We couldn't find the organization or directory.",
  );
}

/** 404 for an unknown or invisible user. */
export function userNotFound(): SimResponse {
  return adminErrors(
    404,
    "ADMIN-404-8",
    "Not Found",
    "We couldn't find the organization, directory, or user.",
  );
}

/** 404 for an unknown group. */
export function groupNotFound(): SimResponse {
  return adminErrors(
    404,
    "ADMIN-404-10",
    "Not Found",
    "We couldn't find the organization, directory, or group.",
  );
}

/** Resolves `{directoryId}` for reads (`-` allowed); a response when it is unknown. */
export function readScope(ctx: RouteContext): string | SimResponse {
  const d = ctx.params.directoryId ?? ALL_DIRECTORIES;
  return ctx.state.knowsDirectory(d) ? d : directoryNotFound();
}

/** Resolves `{directoryId}` for writes: `-` is refused with 400, unknown ids with 404. */
export function writeScope(ctx: RouteContext): string | SimResponse {
  const d = ctx.params.directoryId ?? "";
  if (d === ALL_DIRECTORIES) {
    return adminErrors(
      400,
      "ADMIN-400-4",
      "Bad Request",
      "Writes need a concrete directoryId, not '-'.",
    );
  }
  return ctx.state.directory(d) ? d : directoryNotFound();
}

/** The user named by `{accountId}`/`{userId}` as reads see it, if visible in `scope`. */
export function readUserIn(ctx: RouteContext, scope: string): SimUser | undefined {
  const id = ctx.params.accountId ?? ctx.params.userId ?? "";
  const u = ctx.state.readUser(id, ctx.now);
  return u && ctx.state.visibleIn(u, scope) ? u : undefined;
}

/** A 400 naming the first zod issue. */
export function invalidBody(error: z.ZodError): SimResponse {
  const first = error.issues[0];
  const where = first?.path.join(".") || "body";
  return adminErrors(
    400,
    "ADMIN-400-24",
    "Bad Request",
    `Invalid request: ${where}: ${first?.message ?? "invalid"}`,
  );
}

export { invalidCursor };

/** 400 for a `limit` outside 1..max. */
export function badRequestLimit(max: number): SimResponse {
  return adminErrors(400, "ADMIN-400-19", "Bad Request", `limit must be an integer in 1..${max}`);
}
