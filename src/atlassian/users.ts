import { z } from "zod";
import type { AtlassianClient } from "./client.ts";
import { path, requestJson, requestRecords, stringField } from "./http.ts";
import type { Page, PageBounds } from "./pagination.ts";
import { walkPages } from "./pagination.ts";
import {
  ariSuffix,
  optionalBoolean,
  optionalString,
  optionalTimestamp,
  pageLinks,
} from "./schemas.ts";
import { parseTimestamp } from "./timestamps.ts";

/**
 * One product in v2 search `expand: ["productAccess"]` (v2 product keys: `jira`,
 * `confluence` …). `lastActiveKnown` tells the two cases apart: the API sent a last-active
 * time, or it did not (the field is optional in the spec) — which means *unknown*, never
 * "never active". A product the user never used has no entry at all.
 */
export type UserProductAccess = {
  key: string;
  /** Resource ARI, e.g. `ari:cloud:confluence::site/<cloudId>`. */
  id: string;
} & (
  | {
      lastActiveKnown: true;
      lastActiveAt: Date;
      /** The timestamp as sent (nanosecond precision is lost in `lastActiveAt`). */
      lastActiveRaw: string;
    }
  | { lastActiveKnown: false; lastActiveAt: undefined; lastActiveRaw?: undefined }
);

export interface UserGroupRef {
  /** Group uuid (the suffix of the ARI). */
  id: string;
  ari: string;
  /** The display name; the group's id when the API sent none (`name` is nullable), see `nameProvided`. */
  name: string;
  /** False when the API sent no name (`null` or absent). */
  nameProvided: boolean;
  description?: string | undefined;
}

/**
 * A user as the v2 directory API reports it. Enums are open strings. No field but `accountId`
 * is required by the spec: the five every real answer carries are `string | null` (null: the
 * API left it out), the rest optional.
 *
 * Expansions (`productAccess`, `groups`, `platformRoles`, `resourceCount`) are `undefined` when
 * the API did not provide them — not asked for, or asked for and left out (then listed in
 * `notProvided`) — and `[]` only when the API sent an empty list. Undefined is "unknown",
 * never "none".
 */
export interface DirectoryUser {
  accountId: string;
  accountType: string | null;
  /** Composite: active | suspended | not_invited | deactivated | for_deletion | … */
  status: string | null;
  accountStatus: string | null;
  membershipStatus: string | null;
  addedToOrg: Date | undefined;
  name: string | null;
  nickname?: string | undefined;
  email?: string | undefined;
  emailVerified?: boolean | undefined;
  claimStatus?: string | undefined;
  managementSource?: string | undefined;
  /** With `expand: ["platformRoles"]`; undefined when not provided. */
  platformRoles?: string[] | undefined;
  mfaEnabled?: boolean | undefined;
  deactivatedOn?: Date | undefined;
  /** With `expand: ["productAccess"]`; undefined when not provided, `[]` when the user has none. */
  productAccess?: UserProductAccess[] | undefined;
  /** With `expand: ["groups"]`; undefined when not provided, `[]` when in no group. */
  groups?: UserGroupRef[] | undefined;
  /** Resources the user holds a role on, however granted; with `expand: ["counts.resources"]`. */
  resourceCount?: number | undefined;
  /** Expansions that were asked for but are missing from this record; `[]` when none. */
  notProvided: UserExpand[];
}

export type UserExpand = "productAccess" | "groups" | "platformRoles" | "counts.resources";

const productAccess = z.object({
  key: z.string().min(1),
  id: z.string().min(1),
  lastActiveTimestamp: z
    .string()
    .nullish()
    .refine((s) => s === null || s === undefined || s === "" || parseTimestamp(s) !== undefined, {
      message: "unparsable timestamp",
    }),
});

// Only accountId is needed to use a record; every other field may be absent or null.
const userCore = {
  accountId: z.string().min(1),
  accountType: optionalString,
  status: optionalString,
  accountStatus: optionalString,
  membershipStatus: optionalString,
  addedToOrg: optionalTimestamp,
  name: optionalString,
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
    .array(z.object({ id: z.string().min(1), name: optionalString, description: optionalString }))
    .nullish(),
  counts: z.object({ resources: z.number().int().nonnegative().nullish() }).nullish(),
});

const searchPage = z.object({ data: z.array(z.unknown()), links: pageLinks });
const userDetails = z.object({ data: z.object(userCore) });
const countBody = z.object({ count: z.number().int().nonnegative() });

function toProductAccess(p: z.output<typeof productAccess>): UserProductAccess {
  const raw = p.lastActiveTimestamp ?? "";
  const at = raw === "" ? undefined : parseTimestamp(raw);
  return at
    ? { key: p.key, id: p.id, lastActiveKnown: true, lastActiveAt: at, lastActiveRaw: raw }
    : { key: p.key, id: p.id, lastActiveKnown: false, lastActiveAt: undefined };
}

function toUser(u: z.output<typeof userSchema>, expand: readonly UserExpand[]): DirectoryUser {
  const out: DirectoryUser = {
    accountId: u.accountId,
    accountType: u.accountType ?? null,
    status: u.status ?? null,
    accountStatus: u.accountStatus ?? null,
    membershipStatus: u.membershipStatus ?? null,
    addedToOrg: u.addedToOrg,
    name: u.name ?? null,
    nickname: u.nickname,
    email: u.email,
    emailVerified: u.emailVerified,
    claimStatus: u.claimStatus,
    managementSource: u.managementSource,
    platformRoles: u.platformRoles ?? undefined,
    mfaEnabled: u.mfaEnabled,
    deactivatedOn: u.deactivatedOn,
    notProvided: [],
  };
  if (u.productAccess) out.productAccess = u.productAccess.map(toProductAccess);
  if (typeof u.counts?.resources === "number") out.resourceCount = u.counts.resources;
  if (u.groups) {
    out.groups = u.groups.map((g) => ({
      id: ariSuffix(g.id),
      ari: g.id,
      name: g.name ?? ariSuffix(g.id),
      nameProvided: g.name !== undefined,
      description: g.description,
    }));
  }
  const present: Record<UserExpand, boolean> = {
    productAccess: out.productAccess !== undefined,
    groups: out.groups !== undefined,
    platformRoles: out.platformRoles !== undefined,
    "counts.resources": out.resourceCount !== undefined,
  };
  out.notProvided = expand.filter((e) => !present[e]);
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

export interface SearchUsersParams extends UserSearchFilters, PageBounds {
  orgId: string;
  /** Default `-` (every directory the key can manage). */
  directoryId?: string;
  expand?: UserExpand[];
  /** Page size, 1..100 (default 100). */
  limit?: number;
  /** Resume from this cursor (a `nextCursor` from an earlier page). */
  cursor?: string;
  /** Pass `countUsers` as `expectedTotal` so a runaway listing is stopped (see PageBounds). */
  signal?: AbortSignal;
}

/**
 * `POST /admin/v2/orgs/{orgId}/directories/{directoryId}/users/search` — pages of users
 * (family C). Yields pages, not items, so a resumable caller can checkpoint `nextCursor`.
 * Every page repeats the same filters and `expand` with the cursor. A POST search is
 * idempotent: retried after a 500.
 *
 * Each expansion asked for comes back `[]` only when the API sent an empty list; when the API
 * left it out it is `undefined` and named in the user's `notProvided` — unknown, never "none".
 * A `productAccess` entry without a time has `lastActiveKnown: false`: unknown, never "never".
 *
 * A user record without a usable `accountId` (or with a field of the wrong type) is left out of
 * `items` and listed in `page.rejected`; the caller must record those and treat its run as
 * incomplete. Throws typed errors; SchemaError when the page is not of the expected shape (e.g.
 * every record in snake_case); PaginationLoopError when the walk does not end (see PageBounds).
 */
export function searchUserPages(
  client: AtlassianClient,
  params: SearchUsersParams,
): AsyncIterable<Page<DirectoryUser>> {
  const {
    orgId,
    directoryId = "-",
    expand = [],
    limit = 100,
    cursor,
    maxPages,
    maxEmptyPages,
    expectedTotal,
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
    maxPages,
    maxEmptyPages,
    expectedTotal,
    signal,
    scrub: (t) => client.redact(t),
    fetchPage: async (c) => {
      const body: Record<string, unknown> = { ...filters, limit };
      if (expand.length > 0) body.expand = expand;
      if (c !== undefined) body.cursor = c;
      const res = await requestRecords(
        client,
        {
          endpoint: "users-search",
          orgId,
          method: "POST",
          path: p,
          body,
          idempotent: true,
          signal,
        },
        {
          page: searchPage,
          records: (pg) => pg.data,
          record: userSchema,
          idOf: (r) => stringField(r, "accountId"),
          at: "data",
        },
      );
      return {
        items: res.items.map((u) => toUser(u, expand)),
        rejected: res.rejected,
        next: res.page.links?.next,
      };
    },
  });
}

/**
 * `GET /admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}` — one user's
 * details (no expansions: `productAccess`/`groups` undefined, `notProvided` empty). Throws
 * NotFoundError when the user is not there (`userGone` when the API says so with
 * `ADMIN-404-8`), SchemaError when the answer has no `accountId`.
 */
export async function getUser(
  client: AtlassianClient,
  params: { orgId: string; directoryId?: string; accountId: string; signal?: AbortSignal },
): Promise<DirectoryUser> {
  const p = path`/admin/v2/orgs/${params.orgId}/directories/${params.directoryId ?? "-"}/users/${params.accountId}`;
  const body = await requestJson(
    client,
    {
      endpoint: "users",
      orgId: params.orgId,
      method: "GET",
      path: p,
      idempotent: true,
      signal: params.signal,
    },
    userDetails,
  );
  return toUser(body.data, []);
}

/**
 * `GET /admin/v2/orgs/{orgId}/directories/{directoryId}/users/count` — number of users.
 * Note: by default it also counts managed accounts outside any directory, so it bounds a
 * search from above: pass it as `searchUserPages({ expectedTotal })`.
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
    { endpoint: "users", orgId, method: "GET", path: p, query: filters, idempotent: true, signal },
    countBody,
  );
  return body.count;
}
