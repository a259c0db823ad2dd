/**
 * `reclaim report`: builds the dormant-account workbook (and its CSV twin) for each org from
 * the org's latest succeeded crawl, and records a report_runs row with the ReportSummary.
 * With `runId`, it rebuilds the report of a past succeeded crawl from the history instead;
 * such a rebuild is a copy of the past, so it is not recorded as this week's report.
 */
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { Runtime } from "../app/runtime.ts";
import {
  dormantUsersReader,
  insertReportRun,
  latestSucceededRuns,
  crawlRunStatus,
  knownOrgs,
  orgTotals,
  productCatalog,
  productStats,
  reserveReportId,
  succeededRun,
  succeededRunsUpTo,
  type DormantUsersPage,
  type OrgTotals,
  type ReportWindow,
  type SucceededRun,
} from "../db/repositories/reports.repository.ts";
import type { ReportConfig } from "../config/sections/report.ts";
import { activityWindow } from "../rules/index.ts";
import { etaTracker } from "../shared/eta.ts";
import { asStorageError, tempPathFor, type StorageContext } from "../shared/storage.ts";
import { buildSummary, isoWeek, productName, summaryHeading } from "./build-summary.ts";
import { productId, productLabels } from "./product-labels.ts";
import { orgSlugs, reportBaseName } from "./file-names.ts";
import { addRealizedSavings } from "./realized.ts";
import { buildDormantRow, type DormantRow, type ProductColumn } from "./rows.ts";
import type { ReportSummary } from "./summary.ts";
import { writeWorkbook } from "./workbook.ts";

export interface BuiltReport {
  orgId: string;
  /** The report_runs row; null for a rebuild of a past crawl's report. */
  reportId: number | null;
  workbookPath: string;
  /** The same workbook without the Dormant accounts sheet, for the finance audience. */
  financeWorkbookPath: string;
  csvPath: string;
  summary: ReportSummary;
}

/**
 * Users of the org scanned per page of the Dormant accounts sheet's reads. Small enough that
 * a page's objects are let go before the garbage collector moves them to the old generation:
 * at 100k users (63 % dormant) the process peaked at 1.23× the memory of exceljs writing the
 * same rows alone with pages of ~1,000 rows, 1.39× with 5,000, at the same speed
 * (bench/report-workbook.ts).
 */
const PAGE_USERS = 1500;

export interface BuildReportsOptions {
  orgId?: string;
  /** Rebuild the report of this past succeeded crawl run from the history. */
  runId?: number;
  outDir?: string;
  /** Users of the org scanned per page of dormant users read (see PAGE_USERS). */
  pageUsers?: number;
  /** Called after each batch of Dormant accounts rows is written. */
  onProgress?: (p: ReportProgress) => void;
}

export interface ReportProgress {
  orgId: string;
  orgName: string | null;
  etaSeconds?: number;
  phase: "report";
  done: number;
  total: number;
}

export class NoSucceededCrawlError extends Error {
  override name = "NoSucceededCrawlError";
}

/** What a disk fault while writing reports names: the folder, and the setting that chose it. */
function reportStorage(outDir: string, options: BuildReportsOptions): StorageContext {
  return {
    what: "the report",
    folder: outDir,
    setting: options.outDir === undefined ? "RECLAIM_REPORTS_DIR (or --reports-dir)" : "--out",
  };
}

async function makeReportsDir(outDir: string, options: BuildReportsOptions): Promise<void> {
  try {
    await mkdir(outDir, { recursive: true });
  } catch (error) {
    throw asStorageError(error, reportStorage(outDir, options));
  }
}

/** The state a report of `run` reads: the org as of that run, with the config's rules. */
export function reportWindow(run: SucceededRun, config: ReportConfig): ReportWindow {
  return { ...activityWindow(run.finishedAt, config), orgId: run.orgId, runId: run.runId };
}

export async function buildReports(
  runtime: Runtime,
  options: BuildReportsOptions = {},
): Promise<BuiltReport[]> {
  const db = runtime.database.db;
  const outDir = options.outDir ?? runtime.config.reportsDir;
  if (options.orgId !== undefined) {
    const orgs = await knownOrgs(db);
    if (!orgs.some((o) => o.orgId === options.orgId)) {
      const known = orgs.map((o) => (o.name ? `${o.orgId} (${o.name})` : o.orgId)).join(", ");
      throw new NoSucceededCrawlError(
        `org ${options.orgId} is not in the database${known ? `; it knows ${known}` : ": nothing was crawled yet, run `reclaim crawl` first"}`,
      );
    }
  }
  if (options.runId !== undefined) {
    const run = await succeededRun(db, options.runId);
    if (run === null || (options.orgId !== undefined && run.orgId !== options.orgId)) {
      const found = await crawlRunStatus(db, options.runId);
      const why =
        found === null
          ? `there is no crawl run ${options.runId}`
          : options.orgId !== undefined && found.orgId !== options.orgId
            ? `crawl run ${options.runId} is a crawl of org ${found.orgId}, not of ${options.orgId}`
            : `crawl run ${options.runId} ended ${found.status}`;
      throw new NoSucceededCrawlError(
        `${why}: a report is only built from a succeeded crawl (\`reclaim report\` without --run uses the latest)`,
      );
    }
    await makeReportsDir(outDir, options);
    const slugs = orgSlugs(await latestSucceededRuns(db));
    return [await buildOne(runtime, run, outDir, options, slugs, true)];
  }
  const runs = await latestSucceededRuns(db, options.orgId);
  if (runs.length === 0) {
    const which = options.orgId ? ` for org ${options.orgId}` : "";
    throw new NoSucceededCrawlError(
      `no succeeded crawl${which} to build a report from: run \`reclaim crawl\` first`,
    );
  }
  await makeReportsDir(outDir, options);
  const slugs = orgSlugs(options.orgId === undefined ? runs : await latestSucceededRuns(db));
  const built: BuiltReport[] = [];
  for (const run of runs) built.push(await buildOne(runtime, run, outDir, options, slugs));
  return built;
}

/**
 * The report's figures: the product statistics and totals of the run, the trend of every
 * succeeded run up to it, and the savings realized by past policy actions.
 */
async function summarize(
  runtime: Runtime,
  run: SucceededRun,
  w: ReportWindow,
  generatedAt: Date,
  orgTotalsRead: Promise<OrgTotals>,
): Promise<ReportSummary> {
  const db = runtime.database.db;
  const config = runtime.config.report;
  const [products, totals, pastRuns] = await Promise.all([
    productStats(db, w),
    orgTotalsRead,
    succeededRunsUpTo(db, run.orgId, run.runId),
  ]);
  const trend = [];
  for (const past of pastRuns) {
    const stats =
      past.runId === run.runId ? products : await productStats(db, reportWindow(past, config));
    trend.push({ run: past, products: stats });
  }
  const dormantUsers = totals.dormantUsers;
  const summary = buildSummary({ run, generatedAt, config, totals, products, dormantUsers, trend });
  await addRealizedSavings(db, summary, config, generatedAt);
  return summary;
}

async function buildOne(
  runtime: Runtime,
  run: SucceededRun,
  outDir: string,
  options: BuildReportsOptions,
  slugs: ReadonlyMap<string, string>,
  fromHistory = false,
): Promise<BuiltReport> {
  const pageUsers = options.pageUsers ?? PAGE_USERS;
  const db = runtime.database.db;
  const config = runtime.config.report;
  const generatedAt = runtime.clock.now();
  const w = reportWindow(run, config);
  // The Dormant accounts sheet is written while the summary's statistics are read (on
  // Postgres, on connections of their own), and the next page of it is read while this one
  // is written.
  const reader = dormantUsersReader(db, w);
  const read = (after: string | null) => {
    const page = reader.page(w, after, pageUsers);
    page.catch(() => undefined); // awaited below; never an unhandled rejection if abandoned
    return page;
  };
  const firstPage = read(null);
  const totals = orgTotals(db, w);
  const summary = summarize(runtime, run, w, generatedAt, totals);
  summary.catch(() => undefined); // awaited by the workbook, and below
  const catalog = await productCatalog(db, w);
  const labels = productLabels(catalog);
  const columns: ProductColumn[] = catalog.map((p) => ({
    productKey: p.productKey,
    resourceId: p.resourceId,
    header: labels.get(productId(p)) ?? productName(p),
  }));
  const orgSlug = slugs.get(run.orgId) ?? orgSlugs([run]).get(run.orgId)!;
  const base = fromHistory
    ? reportBaseName(orgSlug, run.finishedAt, config.timezone, run.runId)
    : reportBaseName(orgSlug, generatedAt, config.timezone);
  const workbookPath = path.join(outDir, `${base}.xlsx`);
  const csvPath = path.join(outDir, `${base}.csv`);
  const financePath = path.join(outDir, `${base}-finance.xlsx`);
  // Files are written under a temporary name and renamed when complete, and the report is
  // recorded only then: a run killed midway leaves no half-written workbook for the email step.
  const reportId = fromHistory ? null : await reserveReportId(db);
  // Unique per build: two processes writing the same report never share a temporary file.
  const partials = new Map(
    [workbookPath, csvPath, financePath].map((f) => [f, tempPathFor(f, "partial")]),
  );
  const partial = (file: string) => partials.get(file)!;
  // Progress counts against the dormant users the totals count, once they are known.
  let total: number | undefined;
  totals.then((t) => (total = t.dormantUsers)).catch(() => undefined);
  let done: ReportSummary;
  try {
    // The policy's exclusion lists protect in the report too: its suggested action and the
    // policy plan never disagree about who is left alone.
    const ctx = {
      window: w,
      thresholdsDays: config.thresholdsDays,
      columns,
      exclude: runtime.config.policy.exclude,
    };
    const eta = etaTracker();
    async function* batches(): AsyncIterable<DormantRow[]> {
      let written = 0;
      for (let next: ReturnType<typeof read> | null = firstPage; next !== null;) {
        const page: DormantUsersPage = await next;
        next = page.next === null ? null : read(page.next);
        if (page.users.length === 0) continue;
        yield page.users.map((u) => buildDormantRow(u, ctx));
        written += page.users.length;
        if (total === undefined) continue;
        const etaSeconds = eta.eta(written, total);
        options.onProgress?.({
          orgId: run.orgId,
          orgName: run.orgName,
          phase: "report",
          done: written,
          total,
          ...(etaSeconds !== undefined ? { etaSeconds } : {}),
        });
      }
    }
    const result = await writeWorkbook({
      workbookPath: partial(workbookPath),
      heading: summaryHeading(run, generatedAt, config),
      summary,
      config,
      reportId,
      dormant: { csvPath: partial(csvPath), columns, rows: batches },
    });
    done = await summary;
    // The finance copy: the same numbers without the sheet that names people.
    await writeWorkbook({ workbookPath: partial(financePath), summary: done, config, reportId });
    if (result.dormantRows !== done.totals.dormantUsers) {
      runtime.log.warn(
        `report for ${run.orgId}: ${result.dormantRows} dormant rows written, ${done.totals.dormantUsers} counted`,
      );
    }
    const headers = done.products.map((p) => p.label).join(", ");
    if (headers !== columns.map((c) => c.header).join(", ")) {
      runtime.log.warn(
        `report for ${run.orgId}: the Dormant accounts sheet has columns for ${columns.map((c) => c.header).join(", ")}, the summary counts ${headers}`,
      );
    }
    for (const file of [csvPath, financePath, workbookPath]) await rename(partial(file), file);
  } catch (error) {
    for (const file of [csvPath, financePath, workbookPath]) {
      await rm(partial(file), { force: true });
    }
    throw asStorageError(error, reportStorage(outDir, options));
  }
  if (reportId !== null) {
    await insertReportRun(db, {
      reportId,
      orgId: run.orgId,
      crawlRunId: run.runId,
      generatedAt,
      period: isoWeek(generatedAt),
      workbookPath,
      financeWorkbookPath: financePath,
      csvPath,
      summary: done as unknown as Record<string, unknown>,
    });
  }
  return {
    orgId: run.orgId,
    reportId,
    workbookPath,
    financeWorkbookPath: financePath,
    csvPath,
    summary: done,
  };
}
