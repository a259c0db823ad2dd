import { json, noContent, umError } from "../errors.ts";
import type { SimResponse } from "../errors.ts";
import type { Route, RouteContext } from "../http/route.ts";
import type { SimUser } from "../model.ts";

const BASE = "/users/{accountId}/manage";

type Rule = { allowed: true } | { allowed: false; reason: { key: string } };

/** Why lifecycle actions are refused for this account, or null when allowed. */
function lifecycleBlock(u: SimUser): string | null {
  if (u.claimStatus !== "managed") return "managedAccount";
  if (u.managementSource === "synced") return "externalDirectory.scim";
  return null;
}

const rule = (reason: string | null): Rule =>
  reason === null ? { allowed: true } : { allowed: false, reason: { key: reason } };

/** The account named in the path, unless unknown or already closed. */
function target(ctx: RouteContext): SimUser | undefined {
  const u = ctx.state.readUser(ctx.params.accountId ?? "", ctx.now);
  return u && u.accountStatus !== "closed" ? u : undefined;
}

/** Common preamble of the lifecycle writes: 404 unknown, 403 `forbidden.action` when not manageable. */
function guarded(op: (ctx: RouteContext, u: SimUser) => SimResponse) {
  return (ctx: RouteContext): SimResponse => {
    const u = ctx.state.user(ctx.params.accountId ?? "");
    if (!u || u.accountStatus === "closed") return umError(404, "accountNotFound");
    const block = lifecycleBlock(u);
    if (block) return umError(403, "forbidden.action", { allowed: false, reason: { key: block } });
    return op(ctx, u);
  };
}

export const lifecycleRoutes: Route[] = [
  {
    method: "GET",
    template: BASE,
    name: "manage.get",
    rateClass: "default",
    family: "user-management",
    readsOneUser: true,
    handle(ctx) {
      const u = target(ctx);
      if (!u) return umError(404, "accountNotFound");
      const managed = u.claimStatus === "managed" ? null : "managedAccount";
      const life = lifecycleBlock(u);
      return json(200, {
        "profile.write": {
          name: rule(
            managed ?? (u.managementSource === "synced" ? "externalDirectory.scim" : null),
          ),
          "extended_profile.job_title": rule(managed),
        },
        "profile.read": rule(null),
        "email.set": rule(managed),
        "lifecycle.enablement": rule(life),
        "lifecycle.delete": rule(life),
        "apiToken.read": rule(managed),
        "apiToken.delete": rule(managed),
      });
    },
  },
  {
    method: "POST",
    template: `${BASE}/lifecycle/disable`,
    name: "lifecycle.disable",
    rateClass: "default",
    family: "user-management",
    handle: guarded((ctx, u) => {
      if (u.deletionScheduledAt) return umError(403, "forbidden");
      if (u.accountStatus === "active") ctx.state.lifecycle(u, "disable", ctx.write);
      return noContent();
    }),
  },
  {
    method: "POST",
    template: `${BASE}/lifecycle/enable`,
    name: "lifecycle.enable",
    rateClass: "default",
    family: "user-management",
    handle: guarded((ctx, u) => {
      // A deleted account must have its deletion cancelled first.
      if (u.deletionScheduledAt) return umError(403, "forbidden");
      if (u.accountStatus === "inactive") ctx.state.lifecycle(u, "enable", ctx.write);
      return noContent();
    }),
  },
  {
    method: "POST",
    template: `${BASE}/lifecycle/delete`,
    name: "lifecycle.delete",
    rateClass: "default",
    family: "user-management",
    handle: guarded((ctx, u) => {
      if (u.platformRoles.includes("atlassian/org-admin")) {
        return umError(409, "conflict.lifecycleErrors", {
          message: "This account isn't eligible for deletion.",
          accountId: u.accountId,
          errorCodes: [{ code: "ORG_ADMIN", message: "The account is an organization admin." }],
        });
      }
      if (!u.deletionScheduledAt) ctx.state.lifecycle(u, "delete", ctx.write);
      return json(200, { message: "Success" });
    }),
  },
  {
    method: "POST",
    template: `${BASE}/lifecycle/cancel-delete`,
    name: "lifecycle.cancelDelete",
    rateClass: "default",
    family: "user-management",
    handle: guarded((ctx, u) => {
      if (u.deletionScheduledAt) ctx.state.lifecycle(u, "cancel-delete", ctx.write);
      return json(200, { message: "Success" });
    }),
  },
];
