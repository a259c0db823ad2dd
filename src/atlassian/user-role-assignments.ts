import type { AtlassianClient } from "./client.ts";
import { path } from "./http.ts";
import type { RoleFilters } from "./role-assignments.ts";
import { walkRoleAssignments } from "./role-assignments.ts";

/** One role a user holds on a resource, and how it was granted. */
export interface HeldRole {
  role: string;
  /**
   * How it was granted: `direct`, `group_direct` (via a group), `inferred`; open. `[]` when
   * unknown — then `methodsKnown` is false (the API sent only the deprecated `roles`, or no
   * `roleAssignmentMethods`): the role may be held directly, via a group, or both.
   */
  methods: string[];
  methodsKnown: boolean;
}

/** The roles a user holds on one resource. */
export interface UserRoleAssignment {
  resourceId: string;
  resourceOwner?: string | undefined;
  /** From `roleAssignments` when sent; else from the deprecated `roles` (methods unknown). `[]`: none. */
  roles: HeldRole[];
  /** null/undefined for platform roles (org-admin, site-admin). */
  directoryId?: string | undefined;
  userDirectoryStatus?: string | undefined;
}

/**
 * `GET /admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/role-assignments` —
 * product access per resource and how it was granted (`roleAssignmentMethods`), all pages;
 * retried after a 500. Scope `read:directories:admin`. `[]`: the user holds no role. Throws
 * NotFoundError (`userGone` for `ADMIN-404-8`: the user is no longer there) and SchemaError
 * when an entry says nothing about its roles.
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
        ? r.roleAssignments.map((a) => ({
            role: a.role,
            methods: a.roleAssignmentMethods ?? [],
            methodsKnown: a.roleAssignmentMethods != null,
          }))
        : (r.roles ?? []).map((role) => ({ role, methods: [], methodsKnown: false })),
      directoryId: r.directoryId,
      userDirectoryStatus: r.userDirectoryStatus,
    }),
    usable: (r) =>
      r.roles || r.roleAssignments ? undefined : "neither roleAssignments nor roles was sent",
  });
}
