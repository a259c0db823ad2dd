/** Builds the ReportSummary from the repository's aggregates (pure). */
import type {
  OrgTotals,
  ProductStatsRow,
  SucceededRun,
} from "../db/repositories/reports.repository.ts";
import { priceFor, type ReportConfig } from "../config/sections/report.ts";
import { reclaimableMonthly } from "./model.ts";
import { productId, productLabels } from "./product-labels.ts";
import type { ProductSummary, ReportSummary, TrendPoint } from "./summary.ts";

export function productName(row: { productKey: string; name: string | null }): string {
  return row.name ?? row.productKey;
}

/** The counts of one threshold of a stats row (zeros when the row has none). */
function at(p: ProductStatsRow, days: number) {
  return p.byThreshold[String(days)] ?? { active: 0, grace: 0, dormant: 0 };
}

/** One trend point per past run, from the same statistics the summary uses. */
export function buildTrend(
  runs: readonly { run: SucceededRun; products: readonly ProductStatsRow[] }[],
  dormantAfterDays: number,
): TrendPoint[] {
  return runs.map(({ run, products }) => ({
    crawlRunId: run.runId,
    at: run.finishedAt.toISOString(),
    dormant: Object.fromEntries(
      products.map((p) => [productId(p), at(p, dormantAfterDays).dormant]),
    ),
  }));
}

export interface SummaryInput {
  run: SucceededRun;
  generatedAt: Date;
  config: ReportConfig;
  totals: OrgTotals;
  products: readonly ProductStatsRow[];
  dormantUsers: number;
  /** Every succeeded run up to and including `run`, oldest first, with its statistics. */
  trend: readonly { run: SucceededRun; products: readonly ProductStatsRow[] }[];
}

const cents = (n: number) => Math.round(n * 100) / 100;

/** What a report names before its figures are known: the org, the data's date, the currency. */
export function summaryHeading(run: SucceededRun, generatedAt: Date, config: ReportConfig) {
  return {
    orgId: run.orgId,
    orgName: run.orgName,
    dataAsOf: run.finishedAt.toISOString(),
    generatedAt: generatedAt.toISOString(),
    currency: config.currency,
  } satisfies Partial<ReportSummary>;
}

export function buildSummary(input: SummaryInput): ReportSummary {
  const { config } = input;
  const d = config.dormantAfterDays;
  const labels = productLabels(input.products);
  const products: ProductSummary[] = input.products.map((p) => {
    const { price, source } = priceFor(config, p.productKey);
    const now = at(p, d);
    return {
      productKey: p.productKey,
      resourceId: p.resourceId,
      productName: productName(p),
      label: labels.get(productId(p)) ?? productName(p),
      siteUrl: p.siteUrl,
      seats: p.seats,
      active: now.active,
      grace: now.grace,
      dormant: now.dormant,
      neverActive: p.neverActive,
      activeWithinDays: Object.fromEntries(
        config.thresholdsDays.map((days) => [String(days), at(p, days).active]),
      ),
      byThreshold: Object.fromEntries(
        config.thresholdsDays.map((days) => [String(days), { ...at(p, days) }]),
      ),
      pricePerSeatMonthly: price,
      priceSource: source,
      reclaimableMonthly: reclaimableMonthly(now.dormant, price),
    };
  });
  const sum = (f: (p: ProductSummary) => number) => cents(products.reduce((a, p) => a + f(p), 0));
  const projectedMonthly = sum((p) => p.reclaimableMonthly);
  const monthlyByThreshold: Record<string, number> = {};
  for (const days of config.thresholdsDays) {
    monthlyByThreshold[String(days)] = sum((p) =>
      reclaimableMonthly(p.byThreshold[String(days)]?.dormant ?? 0, p.pricePerSeatMonthly),
    );
  }
  const keysInOrg = new Set(input.products.map((p) => p.productKey));
  return {
    ...summaryHeading(input.run, input.generatedAt, config),
    crawlRunId: input.run.runId,
    billing: config.billing,
    dormantAfterDays: d,
    newUserGraceDays: config.newUserGraceDays,
    thresholdsDays: [...config.thresholdsDays],
    totals: {
      users: input.totals.users,
      billableSeats: sum((p) => p.seats),
      activeSeats: sum((p) => p.active),
      graceSeats: sum((p) => p.grace),
      dormantSeats: sum((p) => p.dormant),
      neverActiveSeats: sum((p) => p.neverActive),
      dormantUsers: input.dormantUsers,
      graceUsers: input.totals.graceUsers,
    },
    products,
    savings: {
      projectedMonthly,
      projectedAnnual: cents(projectedMonthly * 12),
      monthlyByThreshold,
    },
    trend: buildTrend(input.trend, d),
    unmatchedPriceKeys: Object.keys(config.pricesPerSeatMonthly).filter((k) => !keysInOrg.has(k)),
  };
}

/** ISO week of a UTC instant, e.g. "2026-W48". */
export function isoWeek(at: Date): string {
  const day0 = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  const day = day0.getUTCDay() || 7;
  day0.setUTCDate(day0.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(day0.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day0.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${day0.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
}
