import { adminErrors, json, noContent, proxyError } from "../errors.ts";
import type { SimResponse } from "../errors.ts";
import type { Route, RouteContext } from "../http/route.ts";
import type { SimMembershipStatus } from "../model.ts";

const BASE = "/admin/v1/orgs/{orgId}/directory/users/{accountId}";

/** After the 2026-06-30 sunset: 410 Gone with a gateway body (real behaviour UNVERIFIED, §9.1). */
function sunset(): SimResponse {
  return proxyError(410, "This endpoint was removed on 2026-06-30. Use the v2 directory API.");
}

const notFound = (id: string) =>
  adminErrors(
    404,
    "ADMIN-404-8",
    "Not Found",
    `User ${id} was not found in the organization directory.`,
  );

/** v1 suspend/restore act on every directory the user belongs to (centralized orgs have one). */
function access(to: SimMembershipStatus) {
  return (ctx: RouteContext): SimResponse => {
    if (ctx.options.legacyV1 === "sunset") return sunset();
    const id = ctx.params.accountId ?? "";
    const u = ctx.state.user(id);
    if (!u || Object.keys(u.memberships).length === 0) return notFound(id);
    for (const [dir, current] of Object.entries(u.memberships)) {
      if (current !== to) ctx.state.setMembership(id, dir, to, ctx.write);
    }
    const verb = to === "suspended" ? "suspended" : "restored";
    return json(200, {
      message: `Access to organization ${ctx.state.org.id} was ${verb} for user ${id}`,
    });
  };
}

/** Legacy v1 directory writes; registered only when `legacyV1` is not "off". */
export const legacyV1Routes: Route[] = [
  {
    method: "POST",
    template: `${BASE}/suspend-access`,
    name: "v1.suspendAccess",
    rateClass: "default",
    family: "v1",
    handle: access("suspended"),
  },
  {
    method: "POST",
    template: `${BASE}/restore-access`,
    name: "v1.restoreAccess",
    rateClass: "default",
    family: "v1",
    handle: access("active"),
  },
  {
    method: "DELETE",
    template: BASE,
    name: "v1.removeUser",
    rateClass: "default",
    family: "v1",
    handle(ctx) {
      if (ctx.options.legacyV1 === "sunset") return sunset();
      const id = ctx.params.accountId ?? "";
      const u = ctx.state.user(id);
      if (!u || Object.keys(u.memberships).length === 0) return notFound(id);
      for (const dir of Object.keys(u.memberships))
        ctx.state.removeFromDirectory(id, dir, ctx.write);
      return noContent();
    },
  },
];
