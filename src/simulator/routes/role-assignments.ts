import { z } from "zod";
import { json } from "../errors.ts";
import type { SimResponse } from "../errors.ts";
import { queryList } from "../http/query.ts";
import type { RouteContext } from "../http/route.ts";
import type { SimGroup, SimUser } from "../model.ts";
import { badRequestLimit, invalidCursor, queryLimit, readOffsetCursor, v2Links } from "./common.ts";

/** Filters shared by the user and group role-assignment lists. */
const roleQuerySchema = z.object({
  directoryIds: z.array(z.string()).optional(),
  resourceOwners: z.array(z.string()).optional(),
  resourceIds: z.array(z.string()).optional(),
  roleIds: z.array(z.string()).optional(),
});
type RoleQuery = z.infer<typeof roleQuerySchema>;

function readRoleQuery(
  ctx: RouteContext,
  kind: string,
): { q: RoleQuery; offset: number; limit: number } | SimResponse {
  const cursor = ctx.query.get("cursor");
  if (cursor !== null) {
    const c = readOffsetCursor(ctx, kind, cursor);
    const q = c && roleQuerySchema.safeParse(c.q);
    if (!c || !q?.success) return invalidCursor();
    return { q: q.data, offset: c.off, limit: c.limit };
  }
  const limit = queryLimit(ctx.query, 100);
  if (Number.isNaN(limit)) return badRequestLimit(100);
  const q: RoleQuery = {};
  for (const k of ["directoryIds", "resourceOwners", "resourceIds", "roleIds"] as const) {
    const v = queryList(ctx.query, k);
    if (v) q[k] = v;
  }
  return { q, offset: 0, limit: limit ?? 20 };
}

function page<T>(
  ctx: RouteContext,
  kind: string,
  items: T[],
  r: { q: RoleQuery; offset: number; limit: number },
): SimResponse {
  if (r.offset > 0 && r.offset >= items.length) return invalidCursor();
  return json(200, {
    data: items.slice(r.offset, r.offset + r.limit),
    links: v2Links(ctx, kind, { ...r.q }, r.offset, r.limit, items.length),
  });
}

const keep = (
  q: RoleQuery,
  resourceId: string,
  owner: string,
  roles: string[],
  dir: string | null,
) =>
  (!q.resourceIds || q.resourceIds.includes(resourceId)) &&
  (!q.resourceOwners || q.resourceOwners.includes(owner)) &&
  (!q.roleIds || roles.some((r) => q.roleIds?.includes(r))) &&
  (!q.directoryIds || (dir !== null && q.directoryIds.includes(dir)));

/** `MultiDirectoryUserRoleAssignmentPage`: product roles grouped by resource, with how each
 * was granted, then platform roles (org scope, null directory). */
export function userRoleAssignments(ctx: RouteContext, u: SimUser): SimResponse {
  const kind = `users.roles:${u.accountId}`;
  const r = readRoleQuery(ctx, kind);
  if ("status" in r) return r;
  const byResource = new Map<string, { dir: string | null; roles: Map<string, Set<string>> }>();
  for (const g of ctx.state.roleGrants(u)) {
    const entry = byResource.get(g.resourceId) ?? {
      dir: g.directoryId,
      roles: new Map<string, Set<string>>(),
    };
    const methods = entry.roles.get(g.role) ?? new Set<string>();
    methods.add(g.method);
    entry.roles.set(g.role, methods);
    byResource.set(g.resourceId, entry);
  }
  const items: Record<string, unknown>[] = [];
  for (const [resourceId, { dir, roles }] of byResource) {
    const owner = ctx.state.workspace(resourceId)?.resourceOwner ?? "unknown";
    const roleIds = [...roles.keys()];
    if (!keep(r.q, resourceId, owner, roleIds, dir)) continue;
    items.push({
      resourceId,
      resourceOwner: owner,
      roles: roleIds,
      roleAssignments: [...roles].map(([role, methods]) => ({
        role,
        roleAssignmentMethods: [...methods].sort(),
      })),
      directoryId: dir,
      userDirectoryStatus: dir === null ? null : ctx.state.membershipStatus(u, dir),
    });
  }
  for (const role of u.platformRoles) {
    const resourceId = `ari:cloud:platform::org/${ctx.state.org.id}`;
    if (!keep(r.q, resourceId, "platform", [role], null)) continue;
    items.push({
      resourceId,
      resourceOwner: "platform",
      roles: [role],
      roleAssignments: [{ role, roleAssignmentMethods: ["direct"] }],
      directoryId: null,
      userDirectoryStatus: null,
    });
  }
  return page(ctx, kind, items, r);
}

/** `MultiDirectoryGroupRoleAssignmentPage`: the product roles a group grants. */
export function groupRoleAssignments(ctx: RouteContext, g: SimGroup): SimResponse {
  const kind = `groups.roles:${g.id}`;
  const r = readRoleQuery(ctx, kind);
  if ("status" in r) return r;
  const byResource = new Map<string, string[]>();
  for (const role of g.roles)
    byResource.set(role.resourceId, [...(byResource.get(role.resourceId) ?? []), role.role]);
  const items: Record<string, unknown>[] = [];
  for (const [resourceId, roles] of byResource) {
    const owner = ctx.state.workspace(resourceId)?.resourceOwner ?? "unknown";
    if (!keep(r.q, resourceId, owner, roles, g.directoryId)) continue;
    items.push({
      resourceId,
      resourceOwner: owner,
      defaultRole: roles.includes("atlassian/user") ? "atlassian/user" : null,
      roles,
    });
  }
  return page(ctx, kind, items, r);
}
