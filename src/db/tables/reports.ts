/** Table types owned by the reports feature (see migrations/2026-11-28T01-report-runs.ts). */
import type { Generated } from "kysely";
import type { JsonWithDefault, Timestamp } from "../schema.ts";

export interface ReportRunsTable {
  report_id: Generated<number>;
  org_id: string;
  crawl_run_id: number;
  generated_at: Timestamp;
  period: string;
  workbook_path: string;
  csv_path: string | null;
  finance_workbook_path: string | null;
  /** A ReportSummary (src/reports/summary.ts); typed loosely here because db/ sits below reports/. */
  summary: JsonWithDefault<Record<string, unknown>>;
}

export interface ReportTables {
  report_runs: ReportRunsTable;
}
