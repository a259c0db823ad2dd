/**
 * The headline numbers of one report: what the Summary sheet shows and what the weekly email
 * says. Built once per report run from stored data and saved in `report_runs.summary`.
 * Every count follows src/rules, so on every product row and in the totals
 * seats = active + grace + dormant.
 */
import type { RealizedSavings } from "../db/repositories/policy-savings.repository.ts";
import type { ThresholdCounts } from "../db/schema.ts";

export interface ProductSummary {
  productKey: string;
  resourceId: string;
  /** The product's name, e.g. "Jira Software (acme)". */
  productName: string;
  /** Unique among the report's products: the name, plus the site when two would read the same. */
  label: string;
  siteUrl: string | null;
  /** Billable seats: active members (people) with access to this product. */
  seats: number;
  /** Used within dormantAfterDays. */
  active: number;
  /** Not used within dormantAfterDays, held by users who joined within the grace period. */
  grace: number;
  /** Not used within dormantAfterDays (or never), outside the grace period. */
  dormant: number;
  /** Never used (counted in grace or dormant). */
  neverActive: number;
  /** Seats used within each threshold, keyed by days. */
  activeWithinDays: Record<string, number>;
  /** active/grace/dormant if the dormant threshold were each of thresholdsDays. */
  byThreshold: Record<string, ThresholdCounts>;
  pricePerSeatMonthly: number;
  /** Whether the price came from the config (else a USD list-price default, or none). */
  priceSource: "config" | "list price (USD)" | "none";
  /** dormant × price, per month, in the report currency. */
  reclaimableMonthly: number;
}

export interface TrendPoint {
  crawlRunId: number;
  /** When that crawl finished (ISO string). */
  at: string;
  /** Dormant seats at that crawl by productId() ("<key> <resource>"), with the same rules. */
  dormant: Record<string, number>;
  /** Monthly savings of the policy actions applied by then (not undone), in `currency`. */
  realizedMonthly?: number;
}

export interface ReportSummary {
  orgId: string;
  orgName: string | null;
  crawlRunId: number;
  /** ISO: when the crawl the report is built from finished (Atlassian's data lags up to 24 h more). */
  dataAsOf: string;
  /** ISO: when the report was generated. */
  generatedAt: string;
  currency: string;
  billing: "monthly" | "annual";
  dormantAfterDays: number;
  newUserGraceDays: number;
  thresholdsDays: number[];
  totals: {
    users: number;
    billableSeats: number;
    activeSeats: number;
    graceSeats: number;
    dormantSeats: number;
    neverActiveSeats: number;
    /** Users with at least one dormant seat (rows of the Dormant accounts sheet). */
    dormantUsers: number;
    /** Users with seats in the grace period (never in the Dormant accounts sheet). */
    graceUsers: number;
  };
  products: ProductSummary[];
  savings: {
    projectedMonthly: number;
    projectedAnnual: number;
    /** Projected monthly savings if the dormant threshold were each of thresholdsDays. */
    monthlyByThreshold: Record<string, number>;
  };
  trend: TrendPoint[];
  /** What applied policy actions (not undone) saved: price × seats × months since each action. */
  realized?: RealizedSavings;
  /** Config price keys that match no product of the org (likely misspelled). */
  unmatchedPriceKeys: string[];
}
