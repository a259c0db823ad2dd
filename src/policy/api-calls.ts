/**
 * The Admin API writes the policy makes, described for people (plan, workbook, audit): the
 * same paths the client in src/atlassian sends. Writes always name a real directory id, never
 * `-` (admin-api.md §1.3, §7 item 7).
 */
import type { PlannedCall } from "./model.ts";

const seg = (s: string) => encodeURIComponent(s);

export const calls = {
  /** v2 `DELETE …/groups/{groupId}/memberships/{accountId}` (204). */
  removeMembership(orgId: string, directoryId: string, groupId: string, accountId: string) {
    return {
      method: "DELETE",
      path: `/admin/v2/orgs/${seg(orgId)}/directories/${seg(directoryId)}/groups/${seg(groupId)}/memberships/${seg(accountId)}`,
    } satisfies PlannedCall;
  },
  /** v2 `POST …/groups/{groupId}/memberships` `{accountId}` (204). */
  addMembership(orgId: string, directoryId: string, groupId: string, accountId: string) {
    return {
      method: "POST",
      path: `/admin/v2/orgs/${seg(orgId)}/directories/${seg(directoryId)}/groups/${seg(groupId)}/memberships`,
      body: { accountId },
    } satisfies PlannedCall;
  },
  /** v1 `POST /admin/v1/orgs/{orgId}/users/{userId}/roles/revoke` `{role, resource}` (204). */
  revokeRole(orgId: string, accountId: string, role: string, resource: string) {
    return {
      method: "POST",
      path: `/admin/v1/orgs/${seg(orgId)}/users/${seg(accountId)}/roles/revoke`,
      body: { role, resource },
    } satisfies PlannedCall;
  },
  /** v1 `POST …/roles/assign` `{role, resource}` (204; 409 `ADMIN-UAM-409-3` licence limit). */
  assignRole(orgId: string, accountId: string, role: string, resource: string) {
    return {
      method: "POST",
      path: `/admin/v1/orgs/${seg(orgId)}/users/${seg(accountId)}/roles/assign`,
      body: { role, resource },
    } satisfies PlannedCall;
  },
  /** v2 `POST …/directories/{directoryId}/users/{accountId}/suspend` (204). */
  suspend(orgId: string, directoryId: string, accountId: string) {
    return {
      method: "POST",
      path: `/admin/v2/orgs/${seg(orgId)}/directories/${seg(directoryId)}/users/${seg(accountId)}/suspend`,
    } satisfies PlannedCall;
  },
  /** v2 `POST …/users/{accountId}/restore` (204). */
  restore(orgId: string, directoryId: string, accountId: string) {
    return {
      method: "POST",
      path: `/admin/v2/orgs/${seg(orgId)}/directories/${seg(directoryId)}/users/${seg(accountId)}/restore`,
    } satisfies PlannedCall;
  },
  /** User management `POST /users/{accountId}/manage/lifecycle/disable` (204), managed accounts only. */
  disable(accountId: string, message: string) {
    return {
      method: "POST",
      path: `/users/${seg(accountId)}/manage/lifecycle/disable`,
      body: { message },
    } satisfies PlannedCall;
  },
  /** `POST /users/{accountId}/manage/lifecycle/enable` (204). */
  enable(accountId: string) {
    return {
      method: "POST",
      path: `/users/${seg(accountId)}/manage/lifecycle/enable`,
    } satisfies PlannedCall;
  },
};

/** The message shown to a user whose account a `deactivate` action disables. */
export const DEACTIVATE_MESSAGE = "Deactivated by Reclaim: no activity in your Atlassian products";
