import { json, noContent } from "../errors.ts";
import type { SimResponse } from "../errors.ts";
import type { Route, RouteContext } from "../http/route.ts";
import type { SimMembershipStatus } from "../model.ts";
import { findUsers, filterFromQuery, userFilterSchema, userSearchSchema } from "../user-filter.ts";
import type { UserSearch } from "../user-filter.ts";
import { v2User, v2UserDetails } from "../user-views.ts";
import {
  badRequestLimit,
  invalidBody,
  invalidCursor,
  queryLimit,
  readOffsetCursor,
  readScope,
  readUserIn,
  userNotFound,
  v2Links,
  writeScope,
} from "./common.ts";
import { userRoleAssignments } from "./role-assignments.ts";

const USERS = "/admin/v2/orgs/{orgId}/directories/{directoryId}/users";

/** Shared by POST search and the deprecated GET list: filters, cursor, page. */
function searchPage(
  ctx: RouteContext,
  scope: string,
  kind: string,
  req: UserSearch,
  offset: number,
  limit: number,
): SimResponse {
  const { cursor: _c, limit: _l, ...query } = req;
  const users = findUsers(ctx.state, scope, query, ctx.now, query.sortBy?.[0]?.direction);
  if (offset > 0 && offset >= users.length) return invalidCursor();
  const expand = new Set<string>(query.expand ?? []);
  return json(200, {
    data: users.slice(offset, offset + limit).map((u) => v2User(ctx.state, u, scope, expand)),
    links: v2Links(ctx, kind, query, offset, limit, users.length),
  });
}

function membershipWrite(to: SimMembershipStatus) {
  return (ctx: RouteContext): SimResponse => {
    const scope = writeScope(ctx);
    if (typeof scope !== "string") return scope;
    const u = ctx.state.user(ctx.params.accountId ?? "");
    const current = u?.memberships[scope];
    if (!u || !current) return userNotFound();
    if (current === to) return noContent(); // idempotent: already in the requested state
    ctx.state.setMembership(u.accountId, scope, to, ctx.now, ctx.lagMs);
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
        const c = readOffsetCursor(ctx, kind, body.cursor);
        const req = c && userSearchSchema.safeParse(c.q);
        if (!c || !req?.success) return invalidCursor();
        return searchPage(ctx, scope, kind, req.data, c.off, c.limit);
      }
      const parsed = userSearchSchema.safeParse(body);
      if (!parsed.success) return invalidBody(parsed.error);
      return searchPage(ctx, scope, kind, parsed.data, 0, parsed.data.limit ?? 50);
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
        const c = readOffsetCursor(ctx, kind, cursor);
        const req = c && userSearchSchema.safeParse(c.q);
        if (!c || !req?.success) return invalidCursor();
        return searchPage(ctx, scope, kind, req.data, c.off, c.limit);
      }
      const limit = queryLimit(ctx.query, 100);
      if (Number.isNaN(limit)) return badRequestLimit(100);
      const parsed = userSearchSchema.safeParse(filterFromQuery(ctx.query));
      if (!parsed.success) return invalidBody(parsed.error);
      return searchPage(ctx, scope, kind, parsed.data, 0, limit ?? 20);
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
      return json(200, { data: v2UserDetails(ctx.state, u, scope) });
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
      const result = ctx.state.removeFromDirectory(
        ctx.params.accountId ?? "",
        scope,
        ctx.now,
        ctx.lagMs,
      );
      return result === "ok" ? noContent() : userNotFound();
    },
  },
];
