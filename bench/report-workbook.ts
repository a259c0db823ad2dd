/**
 * The dormant-account report against exceljs's own streaming ceiling, for large synthetic orgs.
 *
 *   npx tsx bench/report-workbook.ts [--repeat 2] [users...]        (default 100000 1000000)
 *
 * Every measurement runs in a process of its own, interleaved (end to end, writers, ceiling, …):
 * - end to end: `buildReports` for the seeded org (its queries, the Dormant accounts sheet and
 *   its CSV, the finance copy, the chart): dormant rows ÷ wall time, and the process's peak RSS
 *   (`maxRSS`, the kernel's high-water mark);
 * - writers: Reclaim's writers alone (`writeWorkbook` for both workbooks, the CSV and the chart)
 *   fed generated rows of the same shape in batches of 5,000: what this code costs beyond
 *   exceljs, without the database's reads;
 * - ceiling: exceljs's streaming WorkbookWriter alone (same options) writing the same generated
 *   rows' cells (no styles, no CSV, no second workbook), yielding to the event loop every 5,000
 *   rows as Reclaim does between batches; with --repeat, its fastest rows/s and its smallest
 *   peak RSS (its runs swing between two speeds; the others report medians);
 * - chart step: adding the chart to the ceiling's workbook (`addImageToXlsx`), against copying
 *   the same file (`copyFile`): the floor for a step that must rewrite the zip.
 * Goals (issue 11): rows/s ≥ 0.6 × ceiling, peak RSS ≤ 1.3 × ceiling, flat with org size.
 *
 * Uses DATABASE_URL when set (its schema is migrated down and up: use a scratch database), else
 * embedded PGlite in a data directory of its own (seeded once by a child process, then opened
 * by each end-to-end run, as `reclaim report` opens the app's data directory; the database's
 * WebAssembly memory is in that run's RSS, as it is in the app's).
 */
import { spawnSync } from "node:child_process";
import { copyFile, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import ExcelJS from "exceljs";
import { sql } from "kysely";
import type { Runtime } from "../src/app/runtime.ts";
import { loadConfig } from "../src/config/config.ts";
import { openDatabase, type ReclaimDatabase } from "../src/db/connect.ts";
import { migrateDownAll, migrateToLatest } from "../src/db/migrate.ts";
import { recordVersions } from "../src/db/repositories/history.repository.ts";
import { refreshPlannerStatistics } from "../src/db/repositories/org-data.repository.ts";
import { buildReports } from "../src/reports/build-report.ts";
import { renderDormantChart } from "../src/reports/chart.ts";
import { dormantCells, dormantHeaders, type DormantRow } from "../src/reports/rows.ts";
import { writeWorkbook } from "../src/reports/workbook.ts";
import { addImageToXlsx } from "../src/reports/zip-image.ts";
import { fixedClock } from "../src/shared/clock.ts";
import { silentLogger } from "../src/shared/log.ts";

const NOW = new Date("2026-11-28T12:00:00Z");
const ORG = "bench-org";
const SITES = [
  { rid: "ari:site-1", url: "https://bench.atlassian.net" },
  { rid: "ari:site-2", url: "https://bench-eu.atlassian.net" },
];
/** 6 product instances on 2 sites: 8 + 6 + 7 = 21 columns, as the demo org's workbook. */
const PRODUCTS = [
  { key: "jira-software", site: 0, name: "Jira Software" },
  { key: "confluence", site: 0, name: "Confluence" },
  { key: "jira-servicedesk", site: 0, name: "Jira Service Management" },
  { key: "jira-software", site: 1, name: "Jira Software" },
  { key: "confluence", site: 1, name: "Confluence" },
  { key: "opsgenie", site: 1, name: "Opsgenie" },
].map((p, k) => ({
  ...p,
  k,
  rid: `${SITES[p.site]!.rid}:${p.key}`,
  url: SITES[p.site]!.url,
}));
const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;
const peakRss = () => process.resourceUsage().maxRSS * 1024;
/** CPU seconds of this process (all threads): throughput that a busy machine distorts less. */
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Seeds the org in SQL (generate_series), then records its history as a crawl's finalise does. */
async function seed(database: ReclaimDatabase, users: number): Promise<void> {
  const db = database.db;
  await db.insertInto("orgs").values({ org_id: ORG, name: "Bench Org" }).execute();
  const run = await db
    .insertInto("crawl_runs")
    .values({
      org_id: ORG,
      strategy: "bulk",
      status: "succeeded",
      started_at: new Date(NOW.getTime() - 3_600_000),
      heartbeat_at: NOW,
      finished_at: NOW,
      users_total: users,
    })
    .returning("run_id")
    .executeTakeFirstOrThrow();
  const runId = Number(run.run_id);
  await db
    .insertInto("products")
    .values(
      PRODUCTS.map((p) => ({
        org_id: ORG,
        product_key: p.key,
        resource_id: p.rid,
        name: p.name,
        site_url: p.url,
        first_seen_run_id: runId,
        last_seen_run_id: runId,
      })),
    )
    .execute();
  await db
    .insertInto("groups")
    .values({ org_id: ORG, group_id: "g1", name: "jira-users", management_source: "idp" })
    .execute();
  await db
    .insertInto("group_grants")
    .values({
      org_id: ORG,
      group_id: "g1",
      resource_id: PRODUCTS[0]!.rid,
      role: "user",
      product_key: PRODUCTS[0]!.key,
    })
    .execute();
  const now = NOW.toISOString();
  const step = 100_000;
  for (let from = 0; from < users; from += step) {
    const to = Math.min(users, from + step) - 1;
    await sql`insert into users (org_id, account_id, email, name, account_type, account_status,
        membership_status, status, claim_status, management_source, platform_roles, added_to_org,
        first_seen_run_id, last_seen_run_id, updated_at)
      select ${ORG}, 'acc-' || lpad(i::text, 7, '0'), 'user' || i || '@bench.example', 'User ' || i,
        'atlassian', 'active', 'active', 'active', 'managed',
        case when i % 5 = 0 then 'synced' end,
        case when i % 500 = 0 then '["atlassian/org-admin"]'::jsonb else '[]'::jsonb end,
        ${now}::timestamptz - ((i * 7) % 900) * interval '1 day', ${runId}, ${runId}, ${now}::timestamptz
      from generate_series(${from}::int, ${to}::int) as i`.execute(db);
    for (const p of PRODUCTS) {
      await sql`insert into user_products (org_id, account_id, product_key, resource_id,
          last_active_at, last_active_date, source, observed_at, run_id)
        select ${ORG}, 'acc-' || lpad(i::text, 7, '0'), ${p.key}, ${p.rid},
          case when idle > 380 then null else ${now}::timestamptz - idle * interval '1 day' end,
          case when idle > 380 then null else (${now}::timestamptz - idle * interval '1 day')::date end,
          'bulk', ${now}::timestamptz, ${runId}
        from (select i, case when h % 400 < 300 then h % 90 else h % 400 end as idle
              from (select i, i * 13 + ${p.k * 37} as h
                    from generate_series(${from}::int, ${to}::int) as i
                    where (i + ${p.k}) % 3 <> 2) g) s`.execute(db);
    }
    await sql`insert into user_groups (org_id, account_id, group_id)
      select ${ORG}, 'acc-' || lpad(i::text, 7, '0'), 'g1'
      from generate_series(${from}::int, ${to}::int) as i where i % 2 = 0`.execute(db);
  }
  await db.transaction().execute((trx) => recordVersions(trx, ORG, runId));
  await refreshPlannerStatistics(db);
}

async function withDatabase<T>(fn: (database: ReclaimDatabase) => Promise<T>): Promise<T> {
  const database = await openDatabase({
    dataDir: process.env.BENCH_PGLITE_DIR ?? "memory://",
    databaseUrl: process.env.DATABASE_URL,
  });
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

interface ReclaimResult {
  rows: number;
  seconds: number;
  cpuSeconds: number;
  workbookBytes: number;
  peakRss: number;
}

async function runReclaim(): Promise<ReclaimResult> {
  return withDatabase(async (database) => {
    // Every repeat does the work of a first report: no cached product stats.
    await database.db.deleteFrom("report_runs").execute();
    await database.db.deleteFrom("product_stats").execute();
    const outDir = await mkdtemp(path.join(tmpdir(), "reclaim-bench-report-"));
    try {
      const config = loadConfig({ RECLAIM_REPORTS_DIR: outDir }, {}, "/nonexistent");
      const runtime: Runtime = {
        config,
        database,
        clock: fixedClock(NOW),
        log: silentLogger,
        close: async () => {},
      };
      const t0 = performance.now();
      const c0 = cpuSeconds();
      const [built] = await buildReports(runtime, { orgId: ORG });
      const seconds = (performance.now() - t0) / 1000;
      const cpu = cpuSeconds() - c0;
      const rows = built!.summary.totals.dormantUsers;
      if (rows === 0) throw new Error("no dormant rows written: the bench measured nothing");
      return {
        rows,
        seconds,
        cpuSeconds: cpu,
        workbookBytes: (await stat(built!.workbookPath)).size,
        peakRss: peakRss(),
      };
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  });
}

interface CeilingResult {
  rows: number;
  seconds: number;
  cpuSeconds: number;
  workbookBytes: number;
  peakRss: number;
  chartSeconds: number;
  copySeconds: number;
}

const DAY = 86_400_000;

/** A row like the seeded org's in the Dormant accounts sheet (same columns, types, lengths). */
function benchRow(i: number): DormantRow {
  const lastActive = PRODUCTS.map((p) => {
    if ((i + p.k) % 3 === 2) return null;
    const h = i * 13 + p.k * 37;
    const idle = h % 400 < 300 ? h % 90 : h % 400;
    return idle > 380 ? ("never" as const) : new Date(NOW.getTime() - idle * DAY);
  });
  return {
    name: `User ${i}`,
    email: `user${i}@bench.example`,
    accountId: `acc-${String(i).padStart(7, "0")}`,
    accountType: "atlassian",
    status: "active",
    claimStatus: "managed",
    managementSource: i % 5 === 0 ? "synced" : "",
    idpSynced: i % 5 === 0,
    lastActive,
    daysIdle: (i * 13) % 400,
    bucket: { label: "180+ days", colour: "red" },
    neverActive: false,
    addedToOrg: new Date(NOW.getTime() - ((i * 7) % 900) * DAY),
    billableVia: i % 2 === 0 ? "jira-users (user)" : "",
    dormantProducts: ["Jira Software — bench.atlassian.net", "Confluence — bench-eu.atlassian.net"],
    action: i % 5 === 0 ? "change in the IdP" : "suspend",
  };
}

const COLUMNS = PRODUCTS.map((p) => ({ productKey: p.key, resourceId: p.rid, header: p.name }));

/**
 * Reclaim's writers alone: both workbooks (with the finance copy and the chart) and the CSV,
 * fed the generated rows in batches of 5,000 instead of the database's.
 */
async function runWriter(rows: number): Promise<ReclaimResult> {
  const outDir = await mkdtemp(path.join(tmpdir(), "reclaim-bench-writer-"));
  try {
    const config = loadConfig({}, {}, "/nonexistent").report;
    const summary = benchSummary();
    const workbookPath = path.join(outDir, "writer.xlsx");
    const t0 = performance.now();
    const c0 = cpuSeconds();
    await writeWorkbook({
      workbookPath,
      summary,
      config,
      reportId: 1,
      dormant: {
        csvPath: path.join(outDir, "writer.csv"),
        columns: COLUMNS,
        rows: async function* () {
          for (let start = 0; start < rows; start += 5000) {
            const batch: DormantRow[] = [];
            for (let i = start; i < Math.min(rows, start + 5000); i++) batch.push(benchRow(i));
            yield await Promise.resolve(batch);
          }
        },
      },
    });
    await writeWorkbook({ workbookPath: path.join(outDir, "finance.xlsx"), summary, config });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds() - c0;
    return {
      rows,
      seconds,
      cpuSeconds: cpu,
      workbookBytes: (await stat(workbookPath)).size,
      peakRss: peakRss(),
    };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

async function runCeiling(rows: number): Promise<CeilingResult> {
  const outDir = await mkdtemp(path.join(tmpdir(), "reclaim-bench-ceiling-"));
  try {
    const file = path.join(outDir, "ceiling.xlsx");
    const headers = dormantHeaders(COLUMNS);
    const t0 = performance.now();
    const c0 = cpuSeconds();
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({
      filename: file,
      useStyles: true,
      useSharedStrings: false,
    });
    const summary = wb.addWorksheet("Summary");
    summary.addRow(["Summary"]).commit();
    summary.commit();
    const ws = wb.addWorksheet("Dormant accounts");
    ws.addRow(headers).commit();
    for (let i = 0; i < rows; i++) {
      ws.addRow(dormantCells(benchRow(i))).commit();
      if (i % 5000 === 4999) await new Promise((resolve) => setImmediate(resolve));
    }
    ws.commit();
    await wb.commit();
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds() - c0;
    const workbookBytes = (await stat(file)).size;
    const rss = peakRss();

    const copy = path.join(outDir, "copy.xlsx");
    const t1 = performance.now();
    await copyFile(file, copy);
    const copySeconds = (performance.now() - t1) / 1000;
    const png = renderDormantChart(benchSummary());
    const t2 = performance.now();
    await addImageToXlsx(copy, 1, png, { col: 0, row: 3, widthPx: 1000, heightPx: 420 });
    const chartSeconds = (performance.now() - t2) / 1000;
    return {
      rows,
      seconds,
      cpuSeconds: cpu,
      workbookBytes,
      peakRss: rss,
      chartSeconds,
      copySeconds,
    };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/** A small summary to draw a chart of realistic size. */
function benchSummary(): Parameters<typeof renderDormantChart>[0] {
  return {
    orgId: ORG,
    orgName: "Bench Org",
    crawlRunId: 1,
    dataAsOf: NOW.toISOString(),
    generatedAt: NOW.toISOString(),
    currency: "USD",
    billing: "monthly",
    dormantAfterDays: 90,
    newUserGraceDays: 30,
    thresholdsDays: [30, 60, 90, 180],
    totals: {
      users: 0,
      billableSeats: 0,
      activeSeats: 0,
      graceSeats: 0,
      dormantSeats: 0,
      neverActiveSeats: 0,
      dormantUsers: 0,
      graceUsers: 0,
    },
    products: PRODUCTS.map((p) => ({
      productKey: p.key,
      resourceId: p.rid,
      productName: p.name,
      label: `${p.name} — ${p.url.slice(8)}`,
      siteUrl: p.url,
      seats: 1000,
      active: 500,
      grace: 20,
      dormant: 480,
      neverActive: 100,
      activeWithinDays: {},
      byThreshold: {},
      pricePerSeatMonthly: 7.53,
      priceSource: "list price (USD)",
      reclaimableMonthly: 3614.4,
    })),
    savings: { projectedMonthly: 0, projectedAnnual: 0, monthlyByThreshold: {} },
    trend: [],
    unmatchedPriceKeys: [],
  };
}

function child<T>(args: string[]): T {
  const out = spawnSync(
    process.execPath,
    ["--import", "tsx", fileURLToPath(import.meta.url), ...args],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 24 },
  );
  const line = out.stdout.trim().split("\n").pop() ?? "";
  if (out.status !== 0 || !line.startsWith("{")) {
    throw new Error(`bench step ${args.join(" ")} failed (exit ${out.status}): ${out.stdout}`);
  }
  return JSON.parse(line) as T;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    repeat: { type: "string", default: "1" },
    /** Skip seeding and the end-to-end run: the writers and the ceiling only (no database). */
    "writers-only": { type: "boolean", default: false },
  },
});
/** Dormant rows per user in the seeded org (62,889 of 100,000), for --writers-only. */
const DORMANT_SHARE = 0.62889;
if (positionals[0] === "seed") {
  const users = Number(positionals[1]);
  const t0 = performance.now();
  await withDatabase(async (database) => {
    await migrateDownAll(database.db);
    await migrateToLatest(database.db);
    await seed(database, users);
  });
  console.log(JSON.stringify({ seconds: (performance.now() - t0) / 1000 }));
} else if (positionals[0] === "reclaim") {
  console.log(JSON.stringify(await runReclaim()));
} else if (positionals[0] === "writer") {
  console.log(JSON.stringify(await runWriter(Number(positionals[1]))));
} else if (positionals[0] === "ceiling") {
  console.log(JSON.stringify(await runCeiling(Number(positionals[1]))));
} else {
  const sizes = positionals.map(Number).filter((n) => n > 0);
  const repeat = Math.max(1, Number(values.repeat));
  const endToEnd = !values["writers-only"];
  const postgres = Boolean(process.env.DATABASE_URL);
  console.log(
    `end to end on ${endToEnd ? (postgres ? "Postgres (DATABASE_URL)" : "embedded PGlite (a data directory)") : "(skipped)"}; ${repeat} run(s) each, interleaved; medians (the ceiling: its best run). rows/s by wall time, and per CPU second in brackets`,
  );
  const lines: string[] = [];
  let first: { e2e?: number; writer: number } | undefined;
  const rate = (xs: { rows: number; seconds: number }[]) =>
    median(xs.map((x) => x.rows / x.seconds));
  const cpuRate = (xs: { rows: number; cpuSeconds: number }[]) =>
    median(xs.map((x) => x.rows / x.cpuSeconds));
  const rss = (xs: { peakRss: number }[]) => median(xs.map((x) => x.peakRss));
  const n = (x: number) => Math.round(x).toLocaleString("en");
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  let pgliteDir: string | undefined;
  for (const users of sizes.length ? sizes : [100_000, 1_000_000]) {
    if (endToEnd && !postgres) {
      if (pgliteDir) await rm(pgliteDir, { recursive: true, force: true });
      pgliteDir = await mkdtemp(path.join(tmpdir(), "reclaim-bench-pglite-"));
      process.env.BENCH_PGLITE_DIR = pgliteDir;
    }
    if (endToEnd) {
      const seeded = child<{ seconds: number }>(["seed", String(users)]);
      console.error(`seeded ${users} users in ${seeded.seconds.toFixed(0)} s`);
    }
    const reclaim: ReclaimResult[] = [];
    const writer: ReclaimResult[] = [];
    const ceiling: CeilingResult[] = [];
    let rows = Math.round(users * DORMANT_SHARE);
    for (let r = 0; r < repeat; r++) {
      if (endToEnd) {
        reclaim.push(child<ReclaimResult>(["reclaim"]));
        rows = reclaim[0]!.rows;
      }
      writer.push(child<ReclaimResult>(["writer", String(rows)]));
      ceiling.push(child<CeilingResult>(["ceiling", String(rows)]));
      console.error(`${users} users, run ${r + 1}/${repeat} done`);
    }
    // The ceiling is exceljs at its best: its runs here fall in two groups (~10.5k rows/s at
    // ~240 MB, ~7k at ~335 MB, same rows, same machine), and a median of three picks whichever
    // group holds two. Its fastest and its smallest run are the ceiling's measure.
    const c = {
      rate: Math.max(...ceiling.map((x) => x.rows / x.seconds)),
      cpu: Math.max(...ceiling.map((x) => x.rows / x.cpuSeconds)),
      rss: Math.min(...ceiling.map((x) => x.peakRss)),
    };
    const w = { rate: rate(writer), cpu: cpuRate(writer), rss: rss(writer) };
    const e = endToEnd ? { rate: rate(reclaim), cpu: cpuRate(reclaim), rss: rss(reclaim) } : null;
    first ??= { writer: w.rss, ...(e ? { e2e: e.rss } : {}) };
    const chart = median(ceiling.map((x) => x.chartSeconds));
    const copy = median(ceiling.map((x) => x.copySeconds));
    const e2eRate = e
      ? `${n(e.rate)} [${n(e.cpu)}] (**${ratio(e.rate, c.rate)}** [${ratio(e.cpu, c.cpu)}])`
      : "–";
    const e2eRss = e ? `${mb(e.rss)} (**${ratio(e.rss, c.rss)}**)` : "–";
    const flat = `${ratio(w.rss, first.writer)}${e && first.e2e ? ` / ${ratio(e.rss, first.e2e)}` : ""}`;
    lines.push(
      `| ${n(users)} | ${n(rows)} | ${n(c.rate)} [${n(c.cpu)}] | ${n(w.rate)} [${n(w.cpu)}] (**${ratio(w.rate, c.rate)}** [${ratio(w.cpu, c.cpu)}]) | ${e2eRate} | ${mb(c.rss)} | ${mb(w.rss)} (**${ratio(w.rss, c.rss)}**) | ${e2eRss} | ${flat} | ${mb(writer[0]!.workbookBytes)} | ${(chart * 1000).toFixed(0)} ms / ${(copy * 1000).toFixed(0)} ms |`,
    );
  }
  if (pgliteDir) await rm(pgliteDir, { recursive: true, force: true });
  console.log(
    "| users | dormant rows | ceiling rows/s | writers rows/s (/ ceiling; goal ≥ 0.6) | end to end rows/s (/ ceiling) | ceiling peak RSS | writers peak RSS (/ ceiling; goal ≤ 1.3) | end to end peak RSS (/ ceiling) | peak RSS / smallest size (writers / end to end) | workbook | chart step / copying the file |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const line of lines) console.log(line);
}
