import { randomUUID } from "node:crypto";
import { z } from "zod";
import { adminErrors, json, noContent } from "../errors.ts";
import type { SimResponse } from "../errors.ts";
import type { Route, RouteContext } from "../http/route.ts";
import type { WriteResult } from "../org-state.ts";
import { groupNotFound, invalidBody, userNotFound, writeScope } from "./common.ts";
import { GROUPS, groupIn, groupView } from "./group-views.ts";

function membershipResult(r: WriteResult): SimResponse {
  switch (r) {
    case "ok":
      return noContent();
    case "group-not-found":
      return groupNotFound();
    case "already-member":
      return adminErrors(
        409,
        "ADMIN-409-28",
        "Conflict",
        "The user is already a member of this group.",
      );
    case "license-limit":
      return licenseLimit(
        "You've exceeded your user limit for an app that the group grants access to.",
      );
    case "group-synced":
      return adminErrors(
        403,
        "ADMIN-403-5",
        "Forbidden",
        "This group is synced from an identity provider; change its membership there.",
      );
    case "not-member":
      return adminErrors(
        404,
        "ADMIN-404-8",
        "Not Found",
        "The user is not a member of this group.",
      );
    default:
      return userNotFound();
  }
}

/** 409 `ADMIN-409-3` (spec: "License limit exceeded"); never says "already", so a client can
 * tell it from the "already a member" conflict. */
function licenseLimit(detail: string): SimResponse {
  return adminErrors(409, "ADMIN-409-3", "License limit exceeded", detail);
}

const roleBody = z.object({ resourceId: z.string().min(1), roleId: z.string().min(1) });

function roleWrite(op: "assign" | "revoke") {
  return (ctx: RouteContext): SimResponse => {
    const scope = writeScope(ctx);
    if (typeof scope !== "string") return scope;
    const body = roleBody.safeParse(ctx.body);
    if (!body.success) return invalidBody(body.error);
    const g = groupIn(ctx, scope);
    if (!g) return groupNotFound();
    const { resourceId, roleId } = body.data;
    const r =
      op === "assign"
        ? ctx.state.assignGroupRole(g.id, resourceId, roleId, ctx.write)
        : ctx.state.revokeGroupRole(g.id, resourceId, roleId, ctx.write);
    if (r === "license-limit") return licenseLimit("You've exceeded your user limit for the app.");
    if (r === "resource-not-found") {
      return adminErrors(400, "ADMIN-400-4", "Bad Request", `Unknown resource ${resourceId}.`);
    }
    if (r === "not-assigned") {
      return adminErrors(
        404,
        "ADMIN-404-1",
        "Not Found",
        `The group has no ${roleId} role on ${resourceId}.`,
      );
    }
    // assign answers 200 without a documented body; revoke answers 204.
    return op === "assign" ? { status: 200 } : noContent();
  };
}

/** v2 group writes: create, delete, memberships, role grants. */
export const groupWriteRoutes: Route[] = [
  {
    method: "POST",
    template: GROUPS,
    name: "groups.create",
    rateClass: "default",
    family: "v2",
    handle(ctx) {
      const scope = writeScope(ctx);
      if (typeof scope !== "string") return scope;
      const body = z
        .object({ name: z.string().trim().min(1).max(255), description: z.string().optional() })
        .safeParse(ctx.body);
      if (!body.success) return invalidBody(body.error);
      const g = ctx.state.createGroup(
        scope,
        randomUUID(),
        body.data.name,
        body.data.description ?? "",
        ctx.write,
      );
      if (g === "name-taken") {
        return adminErrors(
          409,
          "ADMIN-409-28",
          "Conflict",
          "A group with this name already exists.",
        );
      }
      // 201 is documented without a body; returning the group lets clients learn its id.
      return json(201, groupView(ctx, g, {}));
    },
  },
  {
    method: "DELETE",
    template: `${GROUPS}/{groupId}`,
    name: "groups.delete",
    rateClass: "default",
    family: "v2",
    handle(ctx) {
      const scope = writeScope(ctx);
      if (typeof scope !== "string") return scope;
      if (!groupIn(ctx, scope)) return groupNotFound();
      const r = ctx.state.deleteGroup(ctx.params.groupId ?? "", ctx.write);
      if (r === "admin-group") {
        return adminErrors(
          403,
          "ADMIN-403-7",
          "Forbidden",
          "Groups granting admin access cannot be deleted.",
        );
      }
      if (r === "group-synced") {
        return adminErrors(
          403,
          "ADMIN-403-5",
          "Forbidden",
          "This group is managed by an identity provider.",
        );
      }
      return r === "ok" ? noContent() : groupNotFound();
    },
  },
  {
    method: "POST",
    template: `${GROUPS}/{groupId}/role-assignments/assign`,
    name: "groups.assignRole",
    rateClass: "default",
    family: "v2",
    handle: roleWrite("assign"),
  },
  {
    method: "POST",
    template: `${GROUPS}/{groupId}/role-assignments/revoke`,
    name: "groups.revokeRole",
    rateClass: "default",
    family: "v2",
    handle: roleWrite("revoke"),
  },
  {
    method: "POST",
    template: `${GROUPS}/{groupId}/memberships`,
    name: "groups.addMember",
    rateClass: "default",
    family: "v2",
    handle(ctx) {
      const scope = writeScope(ctx);
      if (typeof scope !== "string") return scope;
      const body = z.object({ accountId: z.string().min(1) }).safeParse(ctx.body);
      if (!body.success) return invalidBody(body.error);
      if (!groupIn(ctx, scope)) return groupNotFound();
      return membershipResult(
        ctx.state.addToGroup(ctx.params.groupId ?? "", body.data.accountId, ctx.write),
      );
    },
  },
  {
    method: "DELETE",
    template: `${GROUPS}/{groupId}/memberships/{accountId}`,
    name: "groups.removeMember",
    rateClass: "default",
    family: "v2",
    handle(ctx) {
      const scope = writeScope(ctx);
      if (typeof scope !== "string") return scope;
      if (!groupIn(ctx, scope)) return groupNotFound();
      return membershipResult(
        ctx.state.removeFromGroup(ctx.params.groupId ?? "", ctx.params.accountId ?? "", ctx.write),
      );
    },
  },
];
