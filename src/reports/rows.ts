/** Builds the Dormant accounts row model from stored rows (pure). */
import type { DormantUserRow, ReportWindow } from "../db/repositories/reports.repository.ts";
import {
  daysIdle,
  idleBucket,
  suggestedAction,
  type IdleBucket,
  type SuggestedAction,
} from "./model.ts";

export interface ProductColumn {
  productKey: string;
  resourceId: string;
  header: string;
}

export interface DormantRow {
  name: string;
  email: string;
  accountId: string;
  accountType: string;
  status: string;
  claimStatus: string;
  managementSource: string;
  idpSynced: boolean;
  /** Last active per product column: a Date, "never", or null when the user has no access. */
  lastActive: (Date | "never" | null)[];
  /** Days since last activity in the user's most idle dormant product; null = never active. */
  daysIdle: number | null;
  bucket: IdleBucket;
  neverActive: boolean;
  addedToOrg: Date | null;
  billableVia: string;
  dormantProducts: string[];
  action: SuggestedAction;
}

export interface RowContext {
  window: ReportWindow;
  thresholdsDays: readonly number[];
  columns: readonly ProductColumn[];
}

const productId = (key: string, resource: string) => `${key}\u0000${resource}`;

export function isDormantSeat(lastActiveAt: Date | null, w: ReportWindow): boolean {
  return lastActiveAt === null || lastActiveAt.getTime() <= w.dormantBefore.getTime();
}

export function buildDormantRow(user: DormantUserRow, ctx: RowContext): DormantRow {
  const w = ctx.window;
  const dormant = user.products.filter((p) => isDormantSeat(p.lastActiveAt, w));
  const active = user.products.filter((p) => !isDormantSeat(p.lastActiveAt, w));
  const byProduct = new Map(user.products.map((p) => [productId(p.productKey, p.resourceId), p]));
  const lastActive = ctx.columns.map((c) => {
    const p = byProduct.get(productId(c.productKey, c.resourceId));
    if (p === undefined) return null;
    return p.lastActiveAt ?? "never";
  });
  const neverActive = dormant.some((p) => p.lastActiveAt === null);
  let idle: number | null = null;
  if (!neverActive) {
    for (const p of dormant) {
      const d = daysIdle(p.lastActiveAt, w.asOf);
      if (d !== null && (idle === null || d > idle)) idle = d;
    }
  }
  const dormantResources = new Set(dormant.map((p) => p.resourceId));
  const dormantGrants = user.grants.filter((g) => dormantResources.has(g.resourceId));
  const seatViaIdpGroup = dormantGrants.some((g) => g.groupManagementSource === "idp");
  const viaGroups = [...new Set(dormantGrants.map((g) => `${g.groupName} (${g.role})`))];
  const direct = dormant
    .filter((p) => !user.grants.some((g) => g.resourceId === p.resourceId))
    .map((p) => `direct: ${p.productKey}`);
  const inGracePeriod =
    user.addedToOrg !== null && user.addedToOrg.getTime() > w.graceAfter.getTime();
  return {
    name: user.name ?? "",
    email: user.email ?? "",
    accountId: user.accountId,
    accountType: user.accountType ?? "",
    status: user.status ?? user.accountStatus ?? "",
    claimStatus: user.claimStatus ?? "",
    managementSource: user.managementSource ?? "",
    idpSynced: user.managementSource === "synced" || seatViaIdpGroup,
    lastActive,
    daysIdle: idle,
    bucket: idleBucket(idle, ctx.thresholdsDays),
    neverActive,
    addedToOrg: user.addedToOrg,
    billableVia: [...viaGroups, ...direct].join("; "),
    dormantProducts: [...new Set(dormant.map((p) => p.productKey))],
    action: suggestedAction({
      accountType: user.accountType,
      platformRoles: user.platformRoles,
      inGracePeriod,
      managementSource: user.managementSource,
      seatViaIdpGroup,
      dormantProducts: dormant.length,
      activeProducts: active.length,
    }),
  };
}

export const DORMANT_FIXED_HEADERS = [
  "Name",
  "Email",
  "Account ID",
  "Account type",
  "Status",
  "Managed",
  "Management source",
  "IdP-synced",
] as const;

export const DORMANT_TRAILING_HEADERS = [
  "Days idle",
  "Idle bucket",
  "Never active",
  "Added to org",
  "Billable via (groups / direct roles)",
  "Dormant in",
  "Suggested action",
] as const;

export function dormantHeaders(columns: readonly ProductColumn[]): string[] {
  return [
    ...DORMANT_FIXED_HEADERS,
    ...columns.map((c) => `Last active: ${c.header}`),
    ...DORMANT_TRAILING_HEADERS,
  ];
}

/** Cell values in header order (dates stay Dates; the CSV writer formats them). */
export function dormantCells(row: DormantRow): (string | number | boolean | Date | null)[] {
  return [
    row.name,
    row.email,
    row.accountId,
    row.accountType,
    row.status,
    row.claimStatus,
    row.managementSource,
    row.idpSynced ? "yes" : "no",
    ...row.lastActive,
    row.daysIdle,
    row.bucket.label,
    row.neverActive ? "yes" : "no",
    row.addedToOrg,
    row.billableVia,
    row.dormantProducts.join(", "),
    row.action,
  ];
}
