import type { RouteContext } from "../http/route.ts";
import type { SimGroup } from "../model.ts";

export const GROUPS = "/admin/v2/orgs/{orgId}/directories/{directoryId}/groups";

/** `MultiDirectoryGroup`; counts only when asked for (search `expand`) or on details. */
export function groupView(
  ctx: RouteContext,
  g: SimGroup,
  counts: { users?: boolean; resources?: boolean },
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: g.id,
    name: g.name,
    description: g.description,
    directoryId: g.directoryId,
    managementAccess: {
      deletable: !g.isAdminGroup && !g.externalSynced,
      modifiable: !g.externalSynced,
      readable: true,
    },
    externalSynced: g.externalSynced,
    managedBy: g.managedBy,
  };
  if (counts.users || counts.resources) {
    const c: Record<string, number> = {};
    if (counts.users) c.users = ctx.state.groupMembers(g.id).size;
    if (counts.resources) c.resources = new Set(g.roles.map((r) => r.resourceId)).size;
    out.counts = c;
  }
  out.links = { self: Buffer.from(`group:${g.id}`).toString("base64url") };
  return out;
}

/** The group named by `{groupId}` if it lies in the path's directory scope. */
export function groupIn(ctx: RouteContext, scope: string): SimGroup | undefined {
  const g = ctx.state.group(ctx.params.groupId ?? "");
  return g && (scope === "-" || g.directoryId === scope) ? g : undefined;
}
