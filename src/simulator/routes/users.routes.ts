import { z } from "zod";
import { decodeCursor, encodeCursor } from "../cursor.ts";
import { json, noContent } from "../errors.ts";
import type { SimResponse } from "../errors.ts";
import type { Route, RouteContext } from "../http/route.ts";
import type { SimMembershipStatus, SimUser } from "../model.ts";
import { findUsers, filterFromQuery, userFilterSchema, userSearchSchema } from "../user-filter.ts";
import type { UserSearch } from "../user-filter.ts";
import { v2User, v2UserDetails } from "../user-views.ts";
import {
  badRequestLimit,
  invalidBody,
  invalidCursor,
  queryLimit,
  readScope,
  readUserIn,
  userNotFound,
  writeScope,
} from "./common.ts";
import { userRoleAssignments } from "./role-assignments.ts";

const USERS = "/admin/v2/orgs/{orgId}/directories/{directoryId}/users";

/**
 * Where a users page starts: the position of its first user in the result order (generation
 * ordinal, plus the nickname when sorted). Keys rather than offsets, so a user who disappears
 * between two pages (removed, deleted) never shifts the rest of the walk. `end` marks the
 * empty pages past the end that the `endlessCursors` fault hands out.
 */
const userKey = z.union([
  z.object({ end: z.number().int().min(1) }).strict(),
  z.object({ n: z.string(), o: z.number().int() }).strict(),
  z.object({ o: z.number().int() }).strict(),
]);
type UserKey = z.infer<typeof userKey>;
type PositionKey = Exclude<UserKey, { end: number }>;

const userCursor = z.object({
  q: z.record(z.string(), z.unknown()),
  at: userKey.nullable(),
  limit: z.number().int().min(1),
});

/** Decodes a users cursor for `kind`; undefined when invalid (caller answers `ADMIN-400-1`). */
function readUserCursor(
  ctx: RouteContext,
  kind: string,
  raw: string,
): { req: UserSearch; at: UserKey | null; limit: number } | undefined {
  const c = userCursor.safeParse(decodeCursor(ctx.state.org.id, kind, raw));
  const req = c.success ? userSearchSchema.safeParse(c.data.q) : undefined;
  return c.success && req?.success
    ? { req: req.data, at: c.data.at, limit: c.data.limit }
    : undefined;
}

/** Shared by POST search and the deprecated GET list: filters, cursor, page. */
function searchPage(
  ctx: RouteContext,
  scope: string,
  kind: string,
  req: UserSearch,
  at: UserKey | null,
  limit: number,
): SimResponse {
  const { cursor: _c, limit: _l, ...query } = req;
  const dir = query.sortBy?.[0]?.direction;
  const sign = dir === "desc" ? -1 : 1;
  const keyOf = (u: SimUser): PositionKey => {
    const o = ctx.state.ordinal(u.accountId);
    return dir ? { n: u.nickname, o } : { o };
  };
  const cmp = (a: PositionKey, b: PositionKey): number =>
    "n" in a && "n" in b ? sign * (a.n.localeCompare(b.n) || a.o - b.o) : a.o - b.o;
  const cursor = (k: UserKey | null) =>
    encodeCursor(ctx.state.org.id, kind, { q: query, at: k, limit });

  const users = findUsers(ctx.state, scope, query, ctx.now, dir);
  const endless = ctx.faults.endlessCursors;
  const expand = new Set<string>(query.expand ?? []);
  if (at && "end" in at) {
    return json(200, {
      data: [],
      links: { self: cursor(at), ...(endless ? { next: cursor({ end: at.end + 1 }) } : {}) },
    });
  }
  let start = 0;
  if (at) {
    let hi = users.length;
    while (start < hi) {
      const mid = (start + hi) >> 1;
      const u = users[mid];
      if (u && cmp(keyOf(u), at) < 0) start = mid + 1;
      else hi = mid;
    }
  }
  const links: Record<string, string> = { self: cursor(at) };
  const prev = start > 0 ? users[Math.max(0, start - limit)] : undefined;
  if (prev) links.prev = cursor(keyOf(prev));
  const next = users[start + limit];
  if (next) links.next = cursor(keyOf(next));
  else if (endless) links.next = cursor({ end: 1 });
  return json(200, {
    data: users
      .slice(start, start + limit)
      .map((u) => v2User(ctx.state, u, scope, expand, ctx.faults)),
    links,
  });
}

function membershipWrite(to: SimMembershipStatus) {
  return (ctx: RouteContext): SimResponse => {
    const scope = writeScope(ctx);
    if (typeof scope !== "string") return scope;
    const u = ctx.state.user(ctx.params.accountId ?? "");
    const current = u?.memberships[scope];
    if (!u || !current || !ctx.state.isDirectoryAccount(u)) return userNotFound();
    if (current === to) return noContent(); // idempotent: already in the requested state
    ctx.state.setMembership(u.accountId, scope, to, ctx.write);
    return noContent();
  };
}

export const userRoutes: Route[] = [
  {
    method: "POST",
    template: `${USERS}/search`,
    name: "users.search",
    rateClass: "default",
    family: "v2",
    handle(ctx) {
      const scope = readScope(ctx);
      if (typeof scope !== "string") return scope;
      const kind = `users.search:${scope}`;
      const body = (ctx.body ?? {}) as Record<string, unknown>;
      if (typeof body.cursor === "string") {
        const c = readUserCursor(ctx, kind, body.cursor);
        if (!c) return invalidCursor();
        return searchPage(ctx, scope, kind, c.req, c.at, c.limit);
      }
      const parsed = userSearchSchema.safeParse(body);
      if (!parsed.success) return invalidBody(parsed.error);
      return searchPage(ctx, scope, kind, parsed.data, null, parsed.data.limit ?? 50);
    },
  },
  {
    method: "GET",
    template: `${USERS}/count`,
    name: "users.count",
    rateClass: "default",
    family: "v2",
    handle(ctx) {
      const scope = readScope(ctx);
      if (typeof scope !== "string") return scope;
      const f = userFilterSchema.safeParse(filterFromQuery(ctx.query));
      if (!f.success) return invalidBody(f.error);
      return json(200, { count: findUsers(ctx.state, scope, f.data, ctx.now).length });
    },
  },
  {
    method: "GET",
    template: `${USERS}/stats`,
    name: "users.stats",
    rateClass: "default",
    family: "v2",
    handle(ctx) {
      const scope = readScope(ctx);
      if (typeof scope !== "string") return scope;
      const users = findUsers(ctx.state, scope, {}, ctx.now);
      const roles = new Map<string, number>();
      const statuses = new Map<string, number>([
        ["active", 0],
        ["inactive", 0],
        ["closed", 0],
      ]);
      for (const u of users) {
        for (const r of u.platformRoles) roles.set(r, (roles.get(r) ?? 0) + 1);
        statuses.set(u.accountStatus, (statuses.get(u.accountStatus) ?? 0) + 1);
      }
      return json(200, {
        roles: [...roles].map(([roleId, count]) => ({ roleId, count })),
        accountStatus: [...statuses].map(([status, count]) => ({ status, count })),
      });
    },
  },
  {
    method: "GET",
    template: USERS,
    name: "users.list",
    rateClass: "default",
    family: "v2",
    handle(ctx) {
      const scope = readScope(ctx);
      if (typeof scope !== "string") return scope;
      const kind = `users.list:${scope}`;
      const cursor = ctx.query.get("cursor");
      if (cursor !== null) {
        const c = readUserCursor(ctx, kind, cursor);
        if (!c) return invalidCursor();
        return searchPage(ctx, scope, kind, c.req, c.at, c.limit);
      }
      const limit = queryLimit(ctx.query, 100);
      if (Number.isNaN(limit)) return badRequestLimit(100);
      const parsed = userSearchSchema.safeParse(filterFromQuery(ctx.query));
      if (!parsed.success) return invalidBody(parsed.error);
      return searchPage(ctx, scope, kind, parsed.data, null, limit ?? 20);
    },
  },
  {
    method: "GET",
    template: `${USERS}/{accountId}/role-assignments`,
    name: "users.roleAssignments",
    rateClass: "default",
    family: "v2",
    readsOneUser: true,
    handle(ctx) {
      const scope = readScope(ctx);
      if (typeof scope !== "string") return scope;
      const u = readUserIn(ctx, scope);
      if (!u) return userNotFound();
      return userRoleAssignments(ctx, u);
    },
  },
  {
    method: "GET",
    template: `${USERS}/{userId}`,
    name: "users.get",
    rateClass: "default",
    family: "v2",
    readsOneUser: true,
    handle(ctx) {
      const scope = readScope(ctx);
      if (typeof scope !== "string") return scope;
      const u = readUserIn(ctx, scope);
      if (!u) return userNotFound();
      return json(200, { data: v2UserDetails(ctx.state, u, scope, ctx.faults) });
    },
  },
  {
    method: "POST",
    template: `${USERS}/{accountId}/suspend`,
    name: "users.suspend",
    rateClass: "default",
    family: "v2",
    handle: membershipWrite("suspended"),
  },
  {
    method: "POST",
    template: `${USERS}/{accountId}/restore`,
    name: "users.restore",
    rateClass: "default",
    family: "v2",
    handle: membershipWrite("active"),
  },
  {
    method: "DELETE",
    template: `${USERS}/{accountId}`,
    name: "users.remove",
    rateClass: "default",
    family: "v2",
    handle(ctx) {
      const scope = writeScope(ctx);
      if (typeof scope !== "string") return scope;
      const target = ctx.state.user(ctx.params.accountId ?? "");
      if (!target || !ctx.state.isDirectoryAccount(target)) return userNotFound();
      const result = ctx.state.removeFromDirectory(target.accountId, scope, ctx.write);
      return result === "ok" ? noContent() : userNotFound();
    },
  },
];
