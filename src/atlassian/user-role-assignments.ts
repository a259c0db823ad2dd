import type { AtlassianClient } from "./client.ts";
import { path } from "./http.ts";
import type { RoleFilters } from "./role-assignments.ts";
import { walkRoleAssignments } from "./role-assignments.ts";

/** How a user holds a role: `direct`, `group_direct` (via a group) or `inferred`; open. */
export interface UserRoleAssignment {
  resourceId: string;
  resourceOwner?: string | undefined;
  /** `roleAssignments` when sent; falls back to the deprecated `roles` (methods unknown). */
  roles: { role: string; methods: string[] }[];
  /** null/undefined for platform roles (org-admin, site-admin). */
  directoryId?: string | undefined;
  userDirectoryStatus?: string | undefined;
}

/**
 * `GET /admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/role-assignments` —
 * product access per resource and how it was granted (all pages). Scope `read:directories:admin`.
 */
export async function listUserRoleAssignments(
  client: AtlassianClient,
  params: {
    orgId: string;
    directoryId?: string;
    accountId: string;
    signal?: AbortSignal;
  } & RoleFilters,
): Promise<UserRoleAssignment[]> {
  const { orgId, directoryId = "-", accountId, signal, ...filters } = params;
  return walkRoleAssignments(client, {
    endpoint: "user-role-assignments",
    orgId,
    path: path`/admin/v2/orgs/${orgId}/directories/${directoryId}/users/${accountId}/role-assignments`,
    filters,
    signal,
    map: (r) => ({
      resourceId: r.resourceId,
      resourceOwner: r.resourceOwner,
      roles: r.roleAssignments
        ? r.roleAssignments.map((a) => ({ role: a.role, methods: a.roleAssignmentMethods ?? [] }))
        : (r.roles ?? []).map((role) => ({ role, methods: [] })),
      directoryId: r.directoryId,
      userDirectoryStatus: r.userDirectoryStatus,
    }),
  });
}
