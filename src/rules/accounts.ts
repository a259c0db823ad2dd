/**
 * Which accounts hold billable seats, and which are protected from any action whatever a
 * policy rule says — written once for the repositories' SQL, the reports and the policy step.
 */
import { sql, type RawBuilder } from "kysely";
import { inGracePeriod, type ActivityWindow } from "./activity.ts";

/** What the rules need to know about an account, as stored by the crawl. */
export interface AccountFacts {
  accountType: string | null;
  accountStatus: string | null;
  membershipStatus: string | null;
  /** v2's composite status, used when membershipStatus is missing. */
  status: string | null;
  removed: boolean;
}

/**
 * Account types that are people. v2 documents only `atlassian`; v1 also says `app` and
 * `customer` (bots and JSM customers: no seat). A missing type is no evidence of a bot, so it
 * counts as a person.
 */
export function isPersonAccount(accountType: string | null): boolean {
  return accountType === null || accountType === "atlassian";
}

/**
 * A billable seat holder: still in the org, an active membership (v2's composite `status` when
 * `membershipStatus` is missing), an account that is not deactivated or closed, and a person.
 */
export function isBillableAccount(u: AccountFacts): boolean {
  if (u.removed || !isPersonAccount(u.accountType)) return false;
  if (u.accountStatus === "inactive" || u.accountStatus === "closed") return false;
  return (u.membershipStatus ?? (u.status === "active" ? "active" : null)) === "active";
}

/**
 * isBillableAccount in SQL over a user row aliased `alias` with a boolean `removed` column;
 * never null. The membership test is spelt out column by column (not as a coalesce) so the
 * planner can estimate it from the columns' statistics: it took the coalesce to keep 0.5 %
 * of the users, and sorted a whole org's seats on disk for a report's statistics.
 */
export function billableSql(alias: string): RawBuilder<boolean> {
  const c = (column: string) => sql.ref(`${alias}.${column}`);
  return sql<boolean>`(not ${c("removed")}
    and (${c("account_type")} is null or ${c("account_type")} = 'atlassian')
    and (${c("account_status")} is null or ${c("account_status")} not in ('inactive', 'closed'))
    and ((${c("membership_status")} is not null and ${c("membership_status")} = 'active')
      or (${c("membership_status")} is null and ${c("status")} is not null and ${c("status")} = 'active')))`;
}

/** Platform roles that make an account an admin (org, site, user-access admins). */
export function isAdminRole(role: string): boolean {
  return /admin/i.test(role);
}

/** Product roles (granted by a group or directly) that make their holder an admin of the product. */
export function isAdminGrant(role: string): boolean {
  return /admin/i.test(role);
}

export type ProtectionReason =
  | "admin"
  | "admin group"
  | "bot or app account"
  | "new user in grace period"
  | "excluded account"
  | "excluded email"
  | "excluded domain"
  | "excluded group";

/** Allow-lists from the config (`policy.exclude`); matching is case-insensitive. */
export interface Exclusions {
  accounts: readonly string[];
  emails: readonly string[];
  domains: readonly string[];
  /** Group names or ids. */
  groups: readonly string[];
}

export const NO_EXCLUSIONS: Exclusions = { accounts: [], emails: [], domains: [], groups: [] };

export interface ProtectionFacts {
  accountId: string;
  email: string | null;
  accountType: string | null;
  platformRoles: readonly string[];
  addedToOrg: Date | null;
  /** The user's groups, with the roles each grants. */
  groups: readonly { groupId: string; name: string; roles: readonly string[] }[];
}

/**
 * Why an account must never be acted on, or null when nothing protects it. Order matters
 * only for the reason shown: any reason protects.
 */
export function protectionOf(
  u: ProtectionFacts,
  w: ActivityWindow,
  exclude: Exclusions = NO_EXCLUSIONS,
): ProtectionReason | null {
  if (u.platformRoles.some(isAdminRole)) return "admin";
  if (u.groups.some((g) => g.roles.some(isAdminGrant))) return "admin group";
  if (!isPersonAccount(u.accountType)) return "bot or app account";
  if (inGracePeriod(u.addedToOrg, w)) return "new user in grace period";
  const lower = (xs: readonly string[]) => new Set(xs.map((x) => x.toLowerCase()));
  if (lower(exclude.accounts).has(u.accountId.toLowerCase())) return "excluded account";
  const email = u.email?.toLowerCase() ?? null;
  if (email !== null && lower(exclude.emails).has(email)) return "excluded email";
  const domain = email?.slice(email.lastIndexOf("@") + 1) ?? null;
  if (domain !== null && lower(exclude.domains).has(domain)) return "excluded domain";
  const groups = lower(exclude.groups);
  if (u.groups.some((g) => groups.has(g.name.toLowerCase()) || groups.has(g.groupId.toLowerCase())))
    return "excluded group";
  return null;
}

/** Provisioned from an identity provider: change it there, never through the Admin API. */
export function isIdpManagedUser(managementSource: string | null): boolean {
  return managementSource === "synced";
}

/** An IdP-synced or externally managed group (stored `management_source`, see the crawl catalog). */
export function isIdpManagedGroup(managementSource: string | null): boolean {
  return managementSource === "idp" || managementSource === "external";
}
