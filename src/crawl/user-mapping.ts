/**
 * Turns what the Admin API says about users into rows, one product vocabulary for all.
 * Unknown is never "none": activity or groups the API did not send come out as undefined,
 * and the crawl reads them per user before it can succeed.
 */
import type { DirectoryUser, LastActiveDates } from "../atlassian/index.ts";
import type { ActivityInput, UserInput } from "../db/repositories/org-data.repository.ts";
import type { ProductCatalog } from "./product-catalog.ts";

/**
 * A v2 directory user as a row. `products` is undefined when the page did not carry the
 * user's activity, or carried a product without its last-active time (unknown: read
 * last-active-dates); `groupIds` is undefined when the page did not carry the user's groups.
 */
export function userFromDirectory(u: DirectoryUser, catalog: ProductCatalog): UserInput {
  const access = u.productAccess;
  const activityKnown = access !== undefined && access.every((p) => p.lastActiveKnown);
  return {
    accountId: u.accountId,
    email: u.email ?? null,
    name: u.name,
    accountType: u.accountType,
    accountStatus: u.accountStatus,
    membershipStatus: u.membershipStatus,
    status: u.status,
    claimStatus: u.claimStatus ?? null,
    managementSource: u.managementSource ?? null,
    platformRoles: u.platformRoles ?? [],
    mfaEnabled: u.mfaEnabled ?? null,
    addedToOrg: u.addedToOrg ?? null,
    groupIds: u.groups?.map((g) => g.id),
    products: activityKnown
      ? access.map((p) => {
          const ref = catalog.resolve(p.id, p.key);
          return { ...ref, ...activityTime(p.lastActiveAt, undefined) };
        })
      : undefined,
  };
}

/**
 * A last-active-dates answer as activity rows, or undefined when an entry's activity is
 * unknown (the read then counts as failed: nothing is concluded from it).
 */
export function activityFromLastActive(
  data: LastActiveDates,
  catalog: ProductCatalog,
): ActivityInput[] | undefined {
  const out: ActivityInput[] = [];
  for (const p of data.products) {
    if (!p.lastActiveKnown) return undefined;
    out.push({
      ...catalog.resolve(p.id, p.key),
      ...activityTime(p.lastActiveAt, p.lastActiveDate),
    });
  }
  return out;
}

/**
 * last_active_at is the exact time when the API gave one, else the start (UTC) of the day
 * it gave; last_active_date is always that time's UTC date. Both null = never active.
 */
function activityTime(
  at: Date | undefined,
  date: string | undefined,
): { lastActiveAt: Date | null; lastActiveDate: string | null } {
  if (at) return { lastActiveAt: at, lastActiveDate: date ?? at.toISOString().slice(0, 10) };
  if (date) return { lastActiveAt: new Date(`${date}T00:00:00Z`), lastActiveDate: date };
  return { lastActiveAt: null, lastActiveDate: null };
}
