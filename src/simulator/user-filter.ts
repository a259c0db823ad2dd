import { z } from "zod";
import { queryList } from "./http/query.ts";
import type { SimUser } from "./model.ts";
import type { OrgState } from "./org-state.ts";

const STATUS = ["active", "suspended", "not_invited", "deactivated", "for_deletion"] as const;
const ROLE_IDS = [
  "atlassian/user",
  "atlassian/admin",
  "atlassian/guest",
  "atlassian/customer",
  "atlassian/user-access-admin",
  "atlassian/contributor",
  "atlassian/basic",
  "atlassian/stakeholder",
  "atlassian/org-admin",
  "atlassian/site-admin",
  "atlassian/ai-access",
] as const;

const list = (max: number) => z.array(z.string()).min(1).max(max);

/** Filters shared by v2 user search (body), list and count (query). */
export const userFilterSchema = z.object({
  accountIds: list(10).optional(),
  directoryIds: list(10).optional(),
  resourceIds: list(20).optional(),
  groupIds: list(10).optional(),
  mfaEnabled: z.boolean().optional(),
  claimStatus: z.enum(["managed", "unmanaged"]).optional(),
  status: z.array(z.enum(STATUS)).min(1).max(5).optional(),
  accountStatus: z
    .array(z.enum(["active", "inactive", "closed"]))
    .min(1)
    .max(3)
    .optional(),
  membershipStatus: z
    .array(z.enum(["active", "suspended", "no_membership"]))
    .min(1)
    .max(3)
    .optional(),
  roleIds: z.array(z.enum(ROLE_IDS)).min(1).max(10).optional(),
  emailDomains: list(10).optional(),
  searchTerm: z.string().optional(),
  emails: list(100).optional(),
});
export type UserFilter = z.infer<typeof userFilterSchema>;

/** `MultiDirectoryUserSearchRequest`. Unknown keys are ignored, as a tolerant server would. */
export const userSearchSchema = userFilterSchema
  .extend({
    cursor: z.string().optional(),
    limit: z.number().int().min(1).max(100).optional(),
    expand: z
      .array(z.enum(["platformRoles", "counts.resources", "productAccess", "groups"]))
      .optional(),
    sortBy: z
      .array(z.object({ field: z.literal("nick_name"), direction: z.enum(["asc", "desc"]) }))
      .length(1)
      .optional(),
  })
  .refine((b) => !(b.searchTerm !== undefined && b.emails !== undefined), {
    message: "searchTerm and emails are mutually exclusive",
  });
export type UserSearch = z.infer<typeof userSearchSchema>;

/** Reads filters from query parameters (array params as repeated keys or comma lists). */
export function filterFromQuery(q: URLSearchParams): unknown {
  const out: Record<string, unknown> = {};
  for (const k of [
    "accountIds",
    "directoryIds",
    "resourceIds",
    "groupIds",
    "status",
    "accountStatus",
    "membershipStatus",
    "roleIds",
    "emailDomains",
    "emails",
  ]) {
    const v = queryList(q, k);
    if (v) out[k] = v;
  }
  const mfa = q.get("mfaEnabled");
  if (mfa !== null) out.mfaEnabled = mfa === "true";
  const claim = q.get("claimStatus");
  if (claim !== null) out.claimStatus = claim;
  const term = q.get("searchTerm");
  if (term !== null) out.searchTerm = term;
  return out;
}

/** Returns a predicate implementing the filters for one directory scope. */
export function userPredicate(
  state: OrgState,
  scope: string,
  f: UserFilter,
): (u: SimUser) => boolean {
  const accountIds = f.accountIds && new Set(f.accountIds);
  const emails = f.emails && new Set(f.emails.map((e) => e.toLowerCase()));
  const domains = f.emailDomains?.map((d) => d.toLowerCase());
  const term = f.searchTerm?.toLowerCase();
  return (u) => {
    if (!state.visibleIn(u, scope)) return false;
    if (accountIds && !accountIds.has(u.accountId)) return false;
    if (f.directoryIds && !f.directoryIds.some((d) => u.memberships[d] !== undefined)) return false;
    if (f.mfaEnabled !== undefined && u.mfaEnabled !== f.mfaEnabled) return false;
    if (f.claimStatus && u.claimStatus !== f.claimStatus) return false;
    if (f.status && !f.status.includes(state.status(u, scope))) return false;
    if (f.accountStatus && !f.accountStatus.includes(u.accountStatus)) return false;
    if (f.membershipStatus && !f.membershipStatus.includes(state.membershipStatus(u, scope)))
      return false;
    if (emails && !emails.has(u.email.toLowerCase())) return false;
    if (domains && !domains.some((d) => u.email.toLowerCase().endsWith(`@${d}`))) return false;
    if (term && !`${u.name}\n${u.nickname}\n${u.email}`.toLowerCase().includes(term)) return false;
    if (f.groupIds && !f.groupIds.some((g) => u.groupIds.includes(g))) return false;
    if (f.resourceIds) {
      const res = state.resources(u);
      if (!f.resourceIds.some((r) => res.has(r))) return false;
    }
    if (f.roleIds) {
      const roles = new Set([...u.platformRoles, ...state.roleGrants(u).map((g) => g.role)]);
      if (!f.roleIds.some((r) => roles.has(r))) return false;
    }
    return true;
  };
}

/** Runs the filters over the org (with read-after-write lag applied) in list order. */
export function findUsers(
  state: OrgState,
  scope: string,
  f: UserFilter,
  now: number,
  sortDir?: "asc" | "desc",
): SimUser[] {
  const lag = state.hasLag();
  // Paging a large org re-runs the same query once per page; cache it per state version.
  const key = JSON.stringify([scope, f, sortDir ?? null]);
  const hit = lag ? undefined : state.queryCache.get(key);
  if (hit && hit.version === state.version) return hit.result;
  const pred = userPredicate(state, scope, f);
  const out: SimUser[] = [];
  for (const live of state.org.users) {
    const u = lag ? state.readUser(live.accountId, now) : live;
    if (u && pred(u)) out.push(u);
  }
  if (sortDir) {
    const sign = sortDir === "asc" ? 1 : -1;
    out.sort(
      (a, b) =>
        sign *
        (a.nickname.localeCompare(b.nickname) ||
          state.ordinal(a.accountId) - state.ordinal(b.accountId)),
    );
  }
  if (!lag) {
    if (state.queryCache.size >= 16) state.queryCache.clear();
    state.queryCache.set(key, { version: state.version, result: out });
  }
  return out;
}
