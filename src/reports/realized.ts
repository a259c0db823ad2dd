/**
 * Realized savings of applied policy actions, added to a report's summary: the Finance sheet
 * shows them beside the projected savings, the trend shows the monthly saving in effect at
 * each past crawl. Read from stored data only, with the report's own prices.
 */
import type { Kysely } from "kysely";
import { priceFor, type ReportConfig } from "../config/sections/report.ts";
import {
  realizedMonthlyAt,
  realizedSavings,
} from "../db/repositories/policy-savings.repository.ts";
import type { Database } from "../db/schema.ts";
import type { ReportSummary } from "./summary.ts";

export async function addRealizedSavings(
  db: Kysely<Database>,
  summary: ReportSummary,
  config: ReportConfig,
  asOf: Date,
): Promise<void> {
  const price = (key: string) => priceFor(config, key).price;
  summary.realized = await realizedSavings(db, summary.orgId, asOf, price);
  const monthly = await realizedMonthlyAt(
    db,
    summary.orgId,
    summary.trend.map((p) => new Date(p.at)),
    price,
  );
  summary.trend.forEach((p, i) => (p.realizedMonthly = monthly[i] ?? 0));
}
