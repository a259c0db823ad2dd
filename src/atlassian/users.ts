import { z } from "zod";
import type { AtlassianClient } from "./client.ts";
import { path, requestJson } from "./http.ts";
import type { Page } from "./pagination.ts";
import { DEFAULT_MAX_PAGES, walkPages } from "./pagination.ts";
import {
  ariSuffix,
  optionalBoolean,
  optionalString,
  optionalTimestamp,
  pageLinks,
} from "./schemas.ts";
import { parseTimestamp } from "./timestamps.ts";

/** Per-product last activity from v2 search `expand: ["productAccess"]` (v2 product keys: `jira`, `confluence` …). */
export interface UserProductAccess {
  key: string;
  /** Resource ARI, e.g. `ari:cloud:confluence::site/<cloudId>`. */
  id: string;
  /** undefined when the product never saw the user (or the timestamp is absent). */
  lastActiveAt: Date | undefined;
  /** The timestamp as sent (nanosecond precision is lost in `lastActiveAt`). */
  lastActiveRaw?: string | undefined;
}

export interface UserGroupRef {
  /** Group uuid (the suffix of the ARI). */
  id: string;
  ari: string;
  name: string;
  description?: string | undefined;
}

/** A user as the v2 directory API reports it. Enums are open strings. */
export interface DirectoryUser {
  accountId: string;
  accountType: string;
  /** Composite: active | suspended | not_invited | deactivated | for_deletion | … */
  status: string;
  accountStatus: string;
  membershipStatus: string;
  addedToOrg: Date | undefined;
  name: string;
  nickname?: string | undefined;
  email?: string | undefined;
  emailVerified?: boolean | undefined;
  claimStatus?: string | undefined;
  managementSource?: string | undefined;
  platformRoles?: string[] | undefined;
  mfaEnabled?: boolean | undefined;
  deactivatedOn?: Date | undefined;
  /** Present only with `expand: ["productAccess"]`. */
  productAccess?: UserProductAccess[] | undefined;
  /** Present only with `expand: ["groups"]`. */
  groups?: UserGroupRef[] | undefined;
  /** Resources the user holds a role on, however granted; only with `expand: ["counts.resources"]`. */
  resourceCount?: number | undefined;
}

export type UserExpand = "productAccess" | "groups" | "platformRoles" | "counts.resources";

const productAccess = z.object({
  key: z.string(),
  id: z.string(),
  lastActiveTimestamp: z
    .string()
    .nullish()
    .refine((s) => s === null || s === undefined || s === "" || parseTimestamp(s) !== undefined, {
      message: "unparsable timestamp",
    }),
});

const userCore = {
  accountId: z.string().min(1),
  accountType: z.string(),
  status: z.string(),
  accountStatus: z.string(),
  membershipStatus: z.string(),
  addedToOrg: optionalTimestamp,
  name: z.string(),
  nickname: optionalString,
  email: optionalString,
  emailVerified: optionalBoolean,
  claimStatus: optionalString,
  managementSource: optionalString,
  platformRoles: z.array(z.string()).nullish(),
  mfaEnabled: optionalBoolean,
  deactivatedOn: optionalTimestamp,
};

const userSchema = z.object({
  ...userCore,
  productAccess: z.array(productAccess).nullish(),
  groups: z
    .array(z.object({ id: z.string().min(1), name: z.string(), description: optionalString }))
    .nullish(),
  counts: z.object({ resources: z.number().int().nonnegative().nullish() }).nullish(),
});

const searchPage = z.object({ data: z.array(userSchema), links: pageLinks });
const userDetails = z.object({ data: z.object(userCore) });
const countBody = z.object({ count: z.number() });

function toProductAccess(p: z.output<typeof productAccess>): UserProductAccess {
  const raw = p.lastActiveTimestamp ?? undefined;
  const at = raw ? parseTimestamp(raw) : undefined;
  return {
    key: p.key,
    id: p.id,
    lastActiveAt: at,
    ...(raw !== undefined ? { lastActiveRaw: raw } : {}),
  };
}

function toUser(u: z.output<typeof userSchema>): DirectoryUser {
  const out: DirectoryUser = {
    accountId: u.accountId,
    accountType: u.accountType,
    status: u.status,
    accountStatus: u.accountStatus,
    membershipStatus: u.membershipStatus,
    addedToOrg: u.addedToOrg,
    name: u.name,
    nickname: u.nickname,
    email: u.email,
    emailVerified: u.emailVerified,
    claimStatus: u.claimStatus,
    managementSource: u.managementSource,
    platformRoles: u.platformRoles ?? undefined,
    mfaEnabled: u.mfaEnabled,
    deactivatedOn: u.deactivatedOn,
  };
  if (u.productAccess) out.productAccess = u.productAccess.map(toProductAccess);
  if (typeof u.counts?.resources === "number") out.resourceCount = u.counts.resources;
  if (u.groups) {
    out.groups = u.groups.map((g) => ({
      id: ariSuffix(g.id),
      ari: g.id,
      name: g.name,
      description: g.description,
    }));
  }
  return out;
}

export interface UserSearchFilters {
  accountIds?: string[];
  directoryIds?: string[];
  resourceIds?: string[];
  groupIds?: string[];
  mfaEnabled?: boolean;
  claimStatus?: "managed" | "unmanaged" | (string & {});
  status?: string[];
  accountStatus?: string[];
  membershipStatus?: string[];
  roleIds?: string[];
  emailDomains?: string[];
  /** Free text on name and email; mutually exclusive with `emails`. */
  searchTerm?: string;
  emails?: string[];
  sortBy?: { field: "nick_name" | (string & {}); direction: "asc" | "desc" }[];
}

export interface SearchUsersParams extends UserSearchFilters {
  orgId: string;
  /** Default `-` (every directory the key can manage). */
  directoryId?: string;
  expand?: UserExpand[];
  /** Page size, 1..100 (default 100). */
  limit?: number;
  /** Resume from this cursor (a `nextCursor` from an earlier page). */
  cursor?: string;
  maxPages?: number;
  signal?: AbortSignal;
}

/**
 * `POST /admin/v2/orgs/{orgId}/directories/{directoryId}/users/search` — pages of users
 * (family C). Yields pages, not items, so a resumable caller can checkpoint `nextCursor`.
 * Every page repeats the same filters and `expand` with the cursor.
 * Throws typed errors; SchemaError if a user lacks required fields (e.g. snake_case keys).
 */
export function searchUserPages(
  client: AtlassianClient,
  params: SearchUsersParams,
): AsyncIterable<Page<DirectoryUser>> {
  const {
    orgId,
    directoryId = "-",
    expand,
    limit = 100,
    cursor,
    maxPages,
    signal,
    ...filters
  } = params;
  if (limit < 1 || limit > 100)
    throw new RangeError(`searchUserPages: limit must be 1..100, got ${limit}`);
  const p = path`/admin/v2/orgs/${orgId}/directories/${directoryId}/users/search`;
  const label = `POST ${p}`;
  return walkPages({
    endpoint: "users-search",
    label,
    startCursor: cursor,
    maxPages: maxPages ?? DEFAULT_MAX_PAGES,
    signal,
    fetchPage: async (c) => {
      const body: Record<string, unknown> = { ...filters, limit };
      if (expand && expand.length > 0) body.expand = expand;
      if (c !== undefined) body.cursor = c;
      const res = await requestJson(
        client,
        { endpoint: "users-search", orgId, method: "POST", path: p, body, signal },
        searchPage,
      );
      return { items: res.data.map(toUser), next: res.links?.next };
    },
  });
}

/**
 * `GET /admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}` — one user's
 * details (no productAccess/groups). NotFoundError when the user is not in the directory.
 */
export async function getUser(
  client: AtlassianClient,
  params: { orgId: string; directoryId?: string; accountId: string; signal?: AbortSignal },
): Promise<DirectoryUser> {
  const p = path`/admin/v2/orgs/${params.orgId}/directories/${params.directoryId ?? "-"}/users/${params.accountId}`;
  const body = await requestJson(
    client,
    { endpoint: "users", orgId: params.orgId, method: "GET", path: p, signal: params.signal },
    userDetails,
  );
  return toUser(body.data);
}

/**
 * `GET /admin/v2/orgs/{orgId}/directories/{directoryId}/users/count` — number of users.
 * Note: by default it also counts managed accounts outside any directory.
 */
export async function countUsers(
  client: AtlassianClient,
  params: { orgId: string; directoryId?: string; signal?: AbortSignal } & Pick<
    UserSearchFilters,
    "directoryIds" | "claimStatus" | "status" | "accountStatus" | "membershipStatus"
  >,
): Promise<number> {
  const { orgId, directoryId = "-", signal, ...filters } = params;
  const p = path`/admin/v2/orgs/${orgId}/directories/${directoryId}/users/count`;
  const body = await requestJson(
    client,
    { endpoint: "users", orgId, method: "GET", path: p, query: filters, signal },
    countBody,
  );
  return body.count;
}
