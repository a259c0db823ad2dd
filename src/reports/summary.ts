/**
 * The headline numbers of one report: what the Summary sheet shows and what the weekly email
 * says. Built once per report run from stored data and saved in `report_runs.summary`.
 */

export interface ProductSummary {
  productKey: string;
  resourceId: string;
  /** e.g. "Jira Software" */
  productName: string;
  siteUrl: string | null;
  /** Billable seats: active members with access to this product. */
  seats: number;
  /** Seats used within each threshold, keyed by days (e.g. { "30": 120, "60": 150 }). */
  activeWithinDays: Record<string, number>;
  /** Idle past the dormant threshold, or never active (grace-period users excluded). */
  dormant: number;
  neverActive: number;
  pricePerSeatMonthly: number;
  /** dormant × price, per month, in the report currency. */
  reclaimableMonthly: number;
}

export interface TrendPoint {
  crawlRunId: number;
  /** When that crawl finished (ISO string). */
  at: string;
  /** Dormant seats per product key at that crawl. */
  dormantByProduct: Record<string, number>;
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
  thresholdsDays: number[];
  totals: {
    users: number;
    billableSeats: number;
    dormantSeats: number;
    neverActiveSeats: number;
    /** Users dormant in at least one product (rows of the Dormant accounts sheet). */
    dormantUsers: number;
  };
  products: ProductSummary[];
  savings: {
    projectedMonthly: number;
    projectedAnnual: number;
    /** Projected monthly savings if the dormant threshold were each of thresholdsDays. */
    monthlyByThreshold: Record<string, number>;
  };
  trend: TrendPoint[];
}
