import { z } from "zod";
import { json } from "../errors.ts";
import type { SimResponse } from "../errors.ts";
import { queryList } from "../http/query.ts";
import type { Route, RouteContext } from "../http/route.ts";
import type { SimGroup } from "../model.ts";
import {
  badRequestLimit,
  groupNotFound,
  invalidBody,
  invalidCursor,
  queryLimit,
  readOffsetCursor,
  readScope,
  v2Links,
} from "./common.ts";
import { GROUPS, groupIn, groupView } from "./group-views.ts";
import { groupRoleAssignments } from "./role-assignments.ts";

const ids = (max: number) => z.array(z.string()).min(1).max(max);

/** `MultiDirectoryGroupSearchRequest`. */
const groupSearchSchema = z
  .object({
    cursor: z.string().optional(),
    limit: z.number().int().min(1).max(100).optional(),
    sortBy: z
      .array(z.object({ field: z.literal("name"), direction: z.enum(["asc", "desc"]) }))
      .length(1)
      .optional(),
    accountIds: ids(10).optional(),
    directoryIds: ids(10).optional(),
    roleIds: ids(10).optional(),
    resourceOwners: ids(10).optional(),
    resourceIds: ids(20).optional(),
    searchTerm: z.string().optional(),
    groupIds: ids(10).optional(),
    groupNames: ids(100).optional(),
    expand: z
      .array(z.enum(["counts.resources", "counts.users"]))
      .min(1)
      .max(2)
      .optional(),
  })
  .refine((b) => !(b.groupNames && (b.searchTerm !== undefined || b.groupIds)), {
    message: "groupNames cannot be combined with searchTerm or groupIds",
  });
type GroupSearch = z.infer<typeof groupSearchSchema>;

function findGroups(ctx: RouteContext, scope: string, q: GroupSearch): SimGroup[] {
  const names = q.groupNames?.map((n) => n.toLowerCase());
  const term = q.searchTerm?.toLowerCase();
  const groups = ctx.state.org.groups.filter((g) => {
    if (scope !== "-" && g.directoryId !== scope) return false;
    if (q.directoryIds && !q.directoryIds.includes(g.directoryId)) return false;
    if (q.groupIds && !q.groupIds.includes(g.id)) return false;
    if (names && !names.includes(g.name.toLowerCase())) return false;
    if (term && !g.name.toLowerCase().includes(term)) return false;
    if (q.accountIds && !q.accountIds.some((a) => ctx.state.groupMembers(g.id).has(a)))
      return false;
    if (q.roleIds && !g.roles.some((r) => q.roleIds?.includes(r.role))) return false;
    if (q.resourceIds && !g.roles.some((r) => q.resourceIds?.includes(r.resourceId))) return false;
    if (
      q.resourceOwners &&
      !g.roles.some((r) =>
        q.resourceOwners?.includes(ctx.state.workspace(r.resourceId)?.resourceOwner ?? ""),
      )
    ) {
      return false;
    }
    return true;
  });
  const dir = q.sortBy?.[0]?.direction;
  if (dir) groups.sort((a, b) => (dir === "asc" ? 1 : -1) * a.name.localeCompare(b.name));
  return groups;
}

function searchPage(
  ctx: RouteContext,
  scope: string,
  kind: string,
  req: GroupSearch,
  offset: number,
  limit: number,
): SimResponse {
  const { cursor: _c, limit: _l, ...query } = req;
  const groups = findGroups(ctx, scope, query);
  if (offset > 0 && offset >= groups.length) return invalidCursor();
  const counts = {
    users: query.expand?.includes("counts.users") ?? false,
    resources: query.expand?.includes("counts.resources") ?? false,
  };
  return json(200, {
    data: groups.slice(offset, offset + limit).map((g) => groupView(ctx, g, counts)),
    links: v2Links(ctx, kind, query, offset, limit, groups.length),
  });
}

export const groupRoutes: Route[] = [
  {
    method: "POST",
    template: `${GROUPS}/search`,
    name: "groups.search",
    rateClass: "default",
    family: "v2",
    handle(ctx) {
      const scope = readScope(ctx);
      if (typeof scope !== "string") return scope;
      const kind = `groups.search:${scope}`;
      const body = (ctx.body ?? {}) as Record<string, unknown>;
      if (typeof body.cursor === "string") {
        const c = readOffsetCursor(ctx, kind, body.cursor);
        const req = c && groupSearchSchema.safeParse(c.q);
        if (!c || !req?.success) return invalidCursor();
        return searchPage(ctx, scope, kind, req.data, c.off, c.limit);
      }
      const parsed = groupSearchSchema.safeParse(body);
      if (!parsed.success) return invalidBody(parsed.error);
      return searchPage(ctx, scope, kind, parsed.data, 0, parsed.data.limit ?? 20);
    },
  },
  {
    method: "GET",
    template: `${GROUPS}/count`,
    name: "groups.count",
    rateClass: "default",
    family: "v2",
    handle(ctx) {
      const scope = readScope(ctx);
      if (typeof scope !== "string") return scope;
      const term = ctx.query.get("searchTerm") ?? undefined;
      return json(200, {
        count: findGroups(ctx, scope, term === undefined ? {} : { searchTerm: term }).length,
      });
    },
  },
  {
    method: "GET",
    template: `${GROUPS}/stats`,
    name: "groups.stats",
    rateClass: "default",
    family: "v2",
    handle(ctx) {
      const scope = readScope(ctx);
      if (typeof scope !== "string") return scope;
      const groups = findGroups(ctx, scope, {});
      const synced = groups.filter((g) => g.externalSynced).length;
      return json(200, {
        types: [{ type: "GROUP", count: groups.length }],
        totals: { all: groups.length, synced, managed: groups.length - synced },
      });
    },
  },
  {
    method: "GET",
    template: GROUPS,
    name: "groups.list",
    rateClass: "default",
    family: "v2",
    handle(ctx) {
      const scope = readScope(ctx);
      if (typeof scope !== "string") return scope;
      const kind = `groups.list:${scope}`;
      const cursor = ctx.query.get("cursor");
      if (cursor !== null) {
        const c = readOffsetCursor(ctx, kind, cursor);
        const req = c && groupSearchSchema.safeParse(c.q);
        if (!c || !req?.success) return invalidCursor();
        return searchPage(ctx, scope, kind, req.data, c.off, c.limit);
      }
      const limit = queryLimit(ctx.query, 100);
      if (Number.isNaN(limit)) return badRequestLimit(100);
      const query: Record<string, unknown> = {};
      for (const k of [
        "accountIds",
        "directoryIds",
        "groupIds",
        "resourceIds",
        "resourceOwners",
        "roleIds",
      ]) {
        const v = queryList(ctx.query, k);
        if (v) query[k] = v;
      }
      const term = ctx.query.get("searchTerm");
      if (term !== null) query.searchTerm = term;
      const parsed = groupSearchSchema.safeParse(query);
      if (!parsed.success) return invalidBody(parsed.error);
      return searchPage(ctx, scope, kind, parsed.data, 0, limit ?? 20);
    },
  },
  {
    method: "GET",
    template: `${GROUPS}/{groupId}/role-assignments`,
    name: "groups.roleAssignments",
    rateClass: "default",
    family: "v2",
    handle(ctx) {
      const scope = readScope(ctx);
      if (typeof scope !== "string") return scope;
      const g = groupIn(ctx, scope);
      return g ? groupRoleAssignments(ctx, g) : groupNotFound();
    },
  },
  {
    method: "GET",
    template: `${GROUPS}/{groupId}`,
    name: "groups.get",
    rateClass: "default",
    family: "v2",
    handle(ctx) {
      const scope = readScope(ctx);
      if (typeof scope !== "string") return scope;
      const g = groupIn(ctx, scope);
      return g
        ? json(200, { data: groupView(ctx, g, { users: true, resources: true }) })
        : groupNotFound();
    },
  },
];
