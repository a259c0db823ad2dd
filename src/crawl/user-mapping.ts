/** Turns what the Admin API says about users into rows, one product vocabulary for all. */
import type { DirectoryUser, LastActiveDates } from "../atlassian/index.ts";
import type { ActivityInput, UserInput } from "../db/repositories/org-data.repository.ts";
import type { ProductCatalog } from "./product-catalog.ts";

export function userFromDirectory(u: DirectoryUser, catalog: ProductCatalog): UserInput {
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
    products: u.productAccess?.map((p) => {
      const ref = catalog.resolve(p.id, p.key);
      return { ...ref, ...activityTime(p.lastActiveAt, undefined) };
    }),
  };
}

export function activityFromLastActive(
  data: LastActiveDates,
  catalog: ProductCatalog,
): ActivityInput[] {
  return data.products.map((p) => ({
    ...catalog.resolve(p.id, p.key),
    ...activityTime(p.lastActiveAt, p.lastActiveDate),
  }));
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
