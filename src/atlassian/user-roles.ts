import type { AtlassianClient } from "./client.ts";
import { ConflictError, NotFoundError } from "./errors.ts";
import { path } from "./http.ts";
import { listUserRoleAssignments } from "./user-role-assignments.ts";
import type { WriteOutcome } from "./write-outcome.ts";

/*
 * Direct role grants (`POST /admin/v1/orgs/{orgId}/users/{userId}/roles/assign|revoke`). v1
 * paths, but not in the 2026-06-30 sunset list. Body `RoleApiRequest {role, resource}`; errors
 * use `ADMIN-UAM-*` codes (409 `ADMIN-UAM-409-3` = product licence limit exceeded).
 */

/** Roles of `RoleApiRequest`; open, since Atlassian adds roles. */
export type ProductRole =
  | "atlassian/user"
  | "atlassian/user-access-admin"
  | "atlassian/admin"
  | "atlassian/guest"
  | "atlassian/contributor"
  | "atlassian/customer"
  | "atlassian/basic"
  | "atlassian/stakeholder"
  | "atlassian/site-admin"
  | "atlassian/org-admin"
  | (string & {});

export interface UserRoleParams {
  orgId: string;
  accountId: string;
  role: ProductRole;
  /**
   * The resource ARI the role is on (a workspace id, e.g. `ari:cloud:jira::site/<cloudId>`).
   * Required for every role but `atlassian/org-admin`.
   */
  resource?: string | undefined;
  /**
   * Read the user's role assignments on `resource` first and answer `"already"` without writing
   * when the role is already held directly (assign) or not held directly (revoke). The API
   * answers 204 for a repeated assign, so this is the only way to tell "done now" from "was
   * already so" there (costs one read).
   */
  precheck?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

/** Whether the user holds `role` on `resource` directly; undefined when the API did not say how. */
async function holdsDirectly(
  client: AtlassianClient,
  params: UserRoleParams,
): Promise<boolean | undefined> {
  const assignments = await listUserRoleAssignments(client, {
    orgId: params.orgId,
    accountId: params.accountId,
    ...(params.resource !== undefined ? { resourceIds: [params.resource] } : {}),
    ...(params.signal ? { signal: params.signal } : {}),
  });
  const held = assignments
    .filter((a) => params.resource === undefined || a.resourceId === params.resource)
    .flatMap((a) => a.roles)
    .filter((r) => r.role === params.role);
  if (held.some((r) => r.methods.includes("direct"))) return true;
  if (held.some((r) => !r.methodsKnown)) return undefined;
  return false;
}

async function roleWrite(
  client: AtlassianClient,
  params: UserRoleParams,
  op: "assign" | "revoke",
): Promise<void> {
  if (params.resource === undefined && params.role !== "atlassian/org-admin") {
    throw new TypeError(`${op}UserRole: ${params.role} needs a resource (a workspace ARI)`);
  }
  await client.request({
    endpoint: "user-writes",
    orgId: params.orgId,
    method: "POST",
    path: path`/admin/v1/orgs/${params.orgId}/users/${params.accountId}/roles/${op}`,
    body: {
      role: params.role,
      ...(params.resource !== undefined ? { resource: params.resource } : {}),
    },
    idempotent: false,
    signal: params.signal,
  });
}

/**
 * `POST /admin/v1/orgs/{orgId}/users/{userId}/roles/assign` (204) — grant a role directly.
 * Returns `"done"`, or `"already"` for a 409 saying so or (with `precheck`) a role already held
 * directly. Throws LicenseLimitError (409 `ADMIN-UAM-409-3`: the product has no free seat;
 * nothing changed), NotFoundError for an unknown user/org, BadRequestError for a role the
 * resource does not have (`ADMIN-UAM-400-3`). Never retried after a 500.
 */
export async function assignUserRole(
  client: AtlassianClient,
  params: UserRoleParams,
): Promise<WriteOutcome> {
  if (params.precheck && (await holdsDirectly(client, params)) === true) return "already";
  try {
    await roleWrite(client, params, "assign");
    return "done";
  } catch (e) {
    if (e instanceof ConflictError && e.reason === "already") return "already";
    throw e;
  }
}

/**
 * `POST /admin/v1/orgs/{orgId}/users/{userId}/roles/revoke` (204) — revoke a directly granted
 * role (a role granted through a group stays: remove the membership instead). Returns
 * `"done"`, or `"already"` when the user does not hold the role directly — seen by `precheck`,
 * or after a 404, which the API answers both for "not held" and for "no such user": the client
 * then reads the user's role assignments to tell them apart (a user who is gone throws
 * NotFoundError with `userGone`). Never retried after a 500.
 */
export async function revokeUserRole(
  client: AtlassianClient,
  params: UserRoleParams,
): Promise<WriteOutcome> {
  if (params.precheck && (await holdsDirectly(client, params)) === false) return "already";
  try {
    await roleWrite(client, params, "revoke");
    return "done";
  } catch (e) {
    if (e instanceof ConflictError && e.reason === "already") return "already";
    if (e instanceof NotFoundError && e.target !== "org") {
      if ((await holdsDirectly(client, params)) === false) return "already";
    }
    throw e;
  }
}
