import { z } from "zod";
import { adminErrors, noContent } from "../errors.ts";
import type { SimResponse } from "../errors.ts";
import type { Route, RouteContext } from "../http/route.ts";
import { PLATFORM_ROLES } from "../org-state.ts";

/** `RoleApiRequest`: `resource` is required except for org-level roles. */
const roleRequest = z.object({
  role: z.enum([
    "atlassian/user",
    "atlassian/user-access-admin",
    "atlassian/admin",
    "atlassian/guest",
    "atlassian/contributor",
    "atlassian/customer",
    "atlassian/basic",
    "atlassian/stakeholder",
    "atlassian/site-admin",
    "atlassian/org-admin",
  ]),
  resource: z.string().optional(),
});

function roleWrite(op: "assign" | "revoke") {
  return (ctx: RouteContext): SimResponse => {
    const body = roleRequest.safeParse(ctx.body);
    if (!body.success) {
      return adminErrors(
        400,
        "ADMIN-UAM-400-1",
        "Bad Request",
        "Body must be {role, resource?} with a known role.",
      );
    }
    const { role, resource } = body.data;
    // "Resource is required for all roles other than org-admin"; other platform roles take
    // their site as the resource, which the simulator does not model further.
    if (role !== "atlassian/org-admin" && !resource) {
      return adminErrors(
        400,
        "ADMIN-UAM-400-3",
        "Invalid Role for Resource",
        `${role} needs a resource ARI.`,
      );
    }
    const userId = ctx.params.userId ?? "";
    const target = PLATFORM_ROLES.has(role) ? undefined : resource;
    const r =
      op === "assign"
        ? ctx.state.assignUserRole(userId, role, target, ctx.write)
        : ctx.state.revokeUserRole(userId, role, target, ctx.write);
    switch (r) {
      case "ok":
        return noContent();
      case "license-limit":
        return adminErrors(
          409,
          "ADMIN-UAM-409-3",
          "Product License Limit Exceeded",
          `Granting ${role} on ${resource ?? ""} would exceed the product's user limit.`,
        );
      case "resource-not-found":
        return adminErrors(
          400,
          "ADMIN-UAM-400-3",
          "Invalid Role for Resource",
          `Unknown resource ${resource ?? ""}.`,
        );
      case "not-assigned":
        return adminErrors(
          404,
          "ADMIN-UAM-404-3",
          "Unknown Resource",
          `The user holds no direct ${role} role there.`,
        );
      default:
        return adminErrors(
          404,
          "ADMIN-UAM-404-3",
          "Unknown Resource",
          `User ${userId} was not found.`,
        );
    }
  };
}

/** v1 direct role grants (not in the 2026-06-30 sunset list). 404s carry `ADMIN-UAM-404-3`, the
 * one code the spec lists for them; 500s `ADMIN-UAM-500-1` (`ApiErrorResponse`). */
export const userRoleRoutes: Route[] = [
  {
    method: "POST",
    template: "/admin/v1/orgs/{orgId}/users/{userId}/roles/assign",
    name: "userRoles.assign",
    rateClass: "default",
    family: "v1",
    internalErrorCode: "ADMIN-UAM-500-1",
    handle: roleWrite("assign"),
  },
  {
    method: "POST",
    template: "/admin/v1/orgs/{orgId}/users/{userId}/roles/revoke",
    name: "userRoles.revoke",
    rateClass: "default",
    family: "v1",
    internalErrorCode: "ADMIN-UAM-500-1",
    handle: roleWrite("revoke"),
  },
];
