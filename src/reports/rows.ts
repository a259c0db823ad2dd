/** Builds the Dormant accounts row model from stored rows (pure), through src/rules. */
import type { DormantUserRow, ReportWindow } from "../db/repositories/reports.repository.ts";
import {
  classifyUser,
  idleBucket,
  type Exclusions,
  type IdleBucket,
  type SuggestedAction,
} from "../rules/index.ts";
import { productId } from "./product-labels.ts";

export interface ProductColumn {
  productKey: string;
  resourceId: string;
  /** Unique label (see product-labels.ts). */
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
  /** Days since last activity in the user's most idle dormant product; null = never used. */
  daysIdle: number | null;
  bucket: IdleBucket;
  /** Never active in any product. */
  neverActive: boolean;
  addedToOrg: Date | null;
  billableVia: string;
  /** Labels of the products the user is dormant in. */
  dormantProducts: string[];
  action: SuggestedAction;
}

export interface RowContext {
  window: ReportWindow;
  thresholdsDays: readonly number[];
  columns: readonly ProductColumn[];
  /** Accounts, emails, domains and groups never acted on (config `policy.exclude`). */
  exclude?: Exclusions;
}

/** Column ids and labels by product id, worked out once per column list (not per row). */
const columnIndex = new WeakMap<
  readonly ProductColumn[],
  { ids: string[]; labels: Map<string, string> }
>();

function indexOf(columns: readonly ProductColumn[]) {
  let index = columnIndex.get(columns);
  if (index === undefined) {
    index = {
      ids: columns.map(productId),
      labels: new Map(columns.map((col) => [productId(col), col.header])),
    };
    columnIndex.set(columns, index);
  }
  return index;
}

export function buildDormantRow(user: DormantUserRow, ctx: RowContext): DormantRow {
  const c = classifyUser(user, ctx.window, ctx.exclude);
  const byProduct = new Map(c.seats.map((s) => [productId(s), s]));
  const { ids, labels } = indexOf(ctx.columns);
  const lastActive = ids.map((id) => {
    const s = byProduct.get(id);
    if (s === undefined) return null;
    return s.lastActiveAt ?? "never";
  });
  const via = new Set<string>();
  for (const s of c.dormant) {
    for (const g of s.grantedBy) via.add(`${g.groupName} (${g.role})`);
    if (s.direct) via.add(`direct: ${labels.get(productId(s)) ?? s.productKey}`);
  }
  return {
    name: user.name ?? "",
    email: user.email ?? "",
    accountId: user.accountId,
    accountType: user.accountType ?? "",
    status: user.status ?? user.accountStatus ?? "",
    claimStatus: user.claimStatus ?? "",
    managementSource: user.managementSource ?? "",
    idpSynced: c.idpManaged,
    lastActive,
    daysIdle: c.daysIdle,
    bucket: idleBucket(c.daysIdle, ctx.thresholdsDays),
    neverActive: c.neverActive,
    addedToOrg: user.addedToOrg,
    billableVia: [...via].join("; "),
    dormantProducts: [...new Set(c.dormant.map((s) => labels.get(productId(s)) ?? s.productKey))],
    action: c.action,
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
