/** Builds the ReportSummary from the repository's aggregates (pure). */
import type {
  OrgTotals,
  ProductStatsRow,
  SucceededRun,
  TrendRow,
} from "../db/repositories/reports.repository.ts";
import type { ReportConfig } from "../config/sections/report.ts";
import { reclaimableMonthly } from "./model.ts";
import type { ProductSummary, ReportSummary, TrendPoint } from "./summary.ts";

export function priceFor(config: ReportConfig, productKey: string): number {
  return config.pricesPerSeatMonthly[productKey] ?? 0;
}

export function productName(row: { productKey: string; name: string | null }): string {
  return row.name ?? row.productKey;
}

/** The crawler's stored windows (30/60/90/180) nearest at or below `days`. */
export function trendWindow(days: number): "30" | "60" | "90" | "180" {
  if (days >= 180) return "180";
  if (days >= 90) return "90";
  if (days >= 60) return "60";
  return "30";
}

export function buildTrend(rows: readonly TrendRow[], dormantAfterDays: number): TrendPoint[] {
  const key = trendWindow(dormantAfterDays);
  const points = new Map<number, TrendPoint>();
  for (const r of rows) {
    let p = points.get(r.runId);
    if (p === undefined) {
      p = { crawlRunId: r.runId, at: r.finishedAt.toISOString(), dormantByProduct: {} };
      points.set(r.runId, p);
    }
    p.dormantByProduct[r.productKey] =
      (p.dormantByProduct[r.productKey] ?? 0) + Math.max(0, r.seats - r.active[key]);
  }
  return [...points.values()];
}

export interface SummaryInput {
  run: SucceededRun;
  generatedAt: Date;
  config: ReportConfig;
  totals: OrgTotals;
  products: readonly ProductStatsRow[];
  dormantUsers: number;
  trend: readonly TrendRow[];
}

export function buildSummary(input: SummaryInput): ReportSummary {
  const { config } = input;
  const products: ProductSummary[] = input.products.map((p) => {
    const price = priceFor(config, p.productKey);
    return {
      productKey: p.productKey,
      resourceId: p.resourceId,
      productName: productName(p),
      siteUrl: p.siteUrl,
      seats: p.seats,
      activeWithinDays: { ...p.activeWithin },
      dormant: p.dormant,
      neverActive: p.neverActive,
      pricePerSeatMonthly: price,
      reclaimableMonthly: reclaimableMonthly(p.dormant, price),
    };
  });
  const sum = (f: (p: ProductSummary) => number) =>
    Math.round(products.reduce((a, p) => a + f(p), 0) * 100) / 100;
  const projectedMonthly = sum((p) => p.reclaimableMonthly);
  const monthlyByThreshold: Record<string, number> = {};
  for (const days of config.thresholdsDays) {
    monthlyByThreshold[String(days)] =
      Math.round(
        input.products.reduce(
          (a, p) =>
            a + reclaimableMonthly(p.dormantAt[String(days)] ?? 0, priceFor(config, p.productKey)),
          0,
        ) * 100,
      ) / 100;
  }
  return {
    orgId: input.run.orgId,
    orgName: input.run.orgName,
    crawlRunId: input.run.runId,
    dataAsOf: input.run.finishedAt.toISOString(),
    generatedAt: input.generatedAt.toISOString(),
    currency: config.currency,
    billing: config.billing,
    dormantAfterDays: config.dormantAfterDays,
    thresholdsDays: [...config.thresholdsDays],
    totals: {
      users: input.totals.users,
      billableSeats: sum((p) => p.seats),
      dormantSeats: sum((p) => p.dormant),
      neverActiveSeats: sum((p) => p.neverActive),
      dormantUsers: input.dormantUsers,
    },
    products,
    savings: {
      projectedMonthly,
      projectedAnnual: Math.round(projectedMonthly * 12 * 100) / 100,
      monthlyByThreshold,
    },
    trend: buildTrend(input.trend, config.dormantAfterDays),
  };
}

/** ISO week of a UTC instant, e.g. "2026-W48". */
export function isoWeek(at: Date): string {
  const d = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  const day = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((d.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
}
