import { z } from "zod";
import type { AtlassianClient } from "./client.ts";
import { ConflictError, NotFoundError } from "./errors.ts";
import { path, requestRecords, stringField } from "./http.ts";
import type { Page, PageBounds } from "./pagination.ts";
import { walkPages } from "./pagination.ts";
import type { RoleFilters } from "./role-assignments.ts";
import { walkRoleAssignments } from "./role-assignments.ts";
import {
  ariSuffix,
  optionalBoolean,
  optionalNumber,
  optionalString,
  pageLinks,
} from "./schemas.ts";
import type { WriteOutcome } from "./write-outcome.ts";

export interface Group {
  /** Group uuid (ARI suffix when the API sends an ARI). */
  id: string;
  /**
   * The group's name; its id when the API sent none (no field of a group is required by the
   * spec), with `nameProvided: false`. Never match policy rules on a name that was not provided.
   */
  name: string;
  /** False when the API sent no name (`null` or absent). */
  nameProvided: boolean;
  description?: string | undefined;
  directoryId?: string | undefined;
  /** external | admins | team-members | open; open enum. */
  managedBy?: string | undefined;
  externalSynced?: boolean | undefined;
  managementAccess?: { deletable?: boolean; modifiable?: boolean; readable?: boolean } | undefined;
  /** With `expand: ["counts.users" | "counts.resources"]`; undefined (or a count missing) when not provided. */
  counts?: { users?: number; resources?: number } | undefined;
  /** True when the IdP owns the group: edits are refused or reverted at the next sync. */
  idpManaged: boolean;
}

const groupSchema = z.object({
  id: z.string().min(1),
  name: optionalString,
  description: optionalString,
  directoryId: optionalString,
  managedBy: optionalString,
  externalSynced: optionalBoolean,
  managementAccess: z
    .object({ deletable: optionalBoolean, modifiable: optionalBoolean, readable: optionalBoolean })
    .nullish(),
  counts: z.object({ users: optionalNumber, resources: optionalNumber }).nullish(),
});

const groupPage = z.object({ data: z.array(z.unknown()), links: pageLinks });

function toGroup(g: z.output<typeof groupSchema>): Group {
  const strip = <T extends object>(o: T): T =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  return {
    id: ariSuffix(g.id),
    name: g.name ?? ariSuffix(g.id),
    nameProvided: g.name !== undefined,
    description: g.description,
    directoryId: g.directoryId,
    managedBy: g.managedBy,
    externalSynced: g.externalSynced,
    managementAccess: g.managementAccess ? strip(g.managementAccess) : undefined,
    counts: g.counts ? strip(g.counts) : undefined,
    idpManaged:
      g.managementAccess?.modifiable === false ||
      g.managedBy === "external" ||
      g.externalSynced === true,
  };
}

export interface SearchGroupsParams extends PageBounds {
  orgId: string;
  /** Default `-`. */
  directoryId?: string;
  accountIds?: string[];
  directoryIds?: string[];
  roleIds?: string[];
  resourceOwners?: string[];
  resourceIds?: string[];
  searchTerm?: string;
  groupIds?: string[];
  groupNames?: string[];
  expand?: ("counts.resources" | "counts.users")[];
  sortBy?: { field: "name"; direction: "asc" | "desc" }[];
  /** 1..100, default 100. */
  limit?: number;
  cursor?: string;
  signal?: AbortSignal;
}

/**
 * `POST /admin/v2/orgs/{orgId}/directories/{directoryId}/groups/search` — pages of groups
 * (family C). Filters are repeated with each cursor; retried after a 500 (a search). A group
 * record without an id is left out of `items` and listed in `page.rejected` (record it; the
 * run is incomplete). `counts` is undefined unless asked for (`expand`) and sent. Throws as
 * searchUserPages does.
 */
export function searchGroupPages(
  client: AtlassianClient,
  params: SearchGroupsParams,
): AsyncIterable<Page<Group>> {
  const {
    orgId,
    directoryId = "-",
    limit = 100,
    cursor,
    maxPages,
    maxEmptyPages,
    expectedTotal,
    signal,
    ...filters
  } = params;
  const p = path`/admin/v2/orgs/${orgId}/directories/${directoryId}/groups/search`;
  return walkPages({
    endpoint: "groups",
    label: `POST ${p}`,
    startCursor: cursor,
    maxPages,
    maxEmptyPages,
    expectedTotal,
    signal,
    scrub: (t) => client.redact(t),
    fetchPage: async (c) => {
      const body: Record<string, unknown> = { ...filters, limit };
      if (c !== undefined) body.cursor = c;
      const res = await requestRecords(
        client,
        { endpoint: "groups", orgId, method: "POST", path: p, body, idempotent: true, signal },
        {
          page: groupPage,
          records: (pg) => pg.data,
          record: groupSchema,
          idOf: (r) => stringField(r, "id"),
          at: "data",
        },
      );
      return { items: res.items.map(toGroup), rejected: res.rejected, next: res.page.links?.next };
    },
  });
}

/** What a group grants on one resource. */
export interface GroupRoleAssignment {
  resourceId: string;
  resourceOwner?: string | undefined;
  /** The role granted by default on this resource, if any. */
  defaultRole?: string | undefined;
  /** The roles granted; `[]` only when the API sent an empty list. */
  roles: string[];
}

/**
 * `GET /admin/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/role-assignments` —
 * the product access a group grants (all pages; retried after a 500). Scope
 * `read:groups:admin`. `[]`: the group grants nothing. An entry that does not say which roles it
 * grants (no `roles`, no `roleAssignments`) cannot be used: the read throws SchemaError rather
 * than return a grant list with a hole in it; NotFoundError when the group is gone.
 */
export async function listGroupRoleAssignments(
  client: AtlassianClient,
  params: {
    orgId: string;
    directoryId?: string;
    groupId: string;
    signal?: AbortSignal;
  } & RoleFilters,
): Promise<GroupRoleAssignment[]> {
  const { orgId, directoryId = "-", groupId, signal, ...filters } = params;
  return walkRoleAssignments(client, {
    endpoint: "group-role-assignments",
    orgId,
    path: path`/admin/v2/orgs/${orgId}/directories/${directoryId}/groups/${ariSuffix(groupId)}/role-assignments`,
    filters,
    signal,
    map: (r) => ({
      resourceId: r.resourceId,
      resourceOwner: r.resourceOwner,
      defaultRole: r.defaultRole,
      roles: r.roles ?? r.roleAssignments?.map((a) => a.role) ?? [],
    }),
    usable: (r) =>
      r.roles || r.roleAssignments ? undefined : "neither roles nor roleAssignments was sent",
  });
}

export interface MembershipParams {
  orgId: string;
  /** A real directory id (resolve it with listDirectories; `-` is for reads). */
  directoryId: string;
  groupId: string;
  accountId: string;
  signal?: AbortSignal;
}

/**
 * `POST …/groups/{groupId}/memberships` (204) — add a user to a group. Returns `"done"`, or
 * `"already"` for a 409 saying the user is already a member. Throws LicenseLimitError (a
 * ConflictError with `reason: "license-limit"`) when the group grants a product whose licence
 * limit is reached — nothing changed — and NotFoundError for a missing group/user. Not
 * retried after a 500.
 */
export async function addGroupMember(
  client: AtlassianClient,
  params: MembershipParams,
): Promise<WriteOutcome> {
  const p = path`/admin/v2/orgs/${params.orgId}/directories/${params.directoryId}/groups/${ariSuffix(params.groupId)}/memberships`;
  try {
    await client.request({
      endpoint: "group-writes",
      orgId: params.orgId,
      method: "POST",
      path: p,
      body: { accountId: params.accountId },
      idempotent: false,
      signal: params.signal,
    });
    return "done";
  } catch (e) {
    if (e instanceof ConflictError && e.reason === "already") return "already";
    throw e;
  }
}

/**
 * `DELETE …/groups/{groupId}/memberships/{accountId}` (204) — remove a user from a group.
 * Returns `"done"`, or `"already"` for a 404 that is not about the group, directory or org (the
 * user is not a member, or gone: `ADMIN-404-8`). Throws NotFoundError when the group,
 * directory or org is missing. Not retried after a 500.
 */
export async function removeGroupMember(
  client: AtlassianClient,
  params: MembershipParams,
): Promise<WriteOutcome> {
  const p = path`/admin/v2/orgs/${params.orgId}/directories/${params.directoryId}/groups/${ariSuffix(params.groupId)}/memberships/${params.accountId}`;
  try {
    await client.request({
      endpoint: "group-writes",
      orgId: params.orgId,
      method: "DELETE",
      path: p,
      idempotent: false,
      signal: params.signal,
    });
    return "done";
  } catch (e) {
    if (e instanceof NotFoundError && !isContainerMissing(e.code)) return "already";
    throw e;
  }
}

/** 404 codes that mean the org, directory or group is missing (a real error, not "already"). */
function isContainerMissing(code: string | undefined): boolean {
  return (
    code === "ADMIN-404-2" ||
    code === "ADMIN-404-10" ||
    code === "ADMIN-404-1" ||
    code === "ADMIN-UAM-404-3"
  );
}
