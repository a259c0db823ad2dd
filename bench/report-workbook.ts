/**
 * Writes the dormant-account workbook for large synthetic orgs and prints rows/s and memory.
 * `npx tsx bench/report-workbook.ts [users...]` (default 20000 50000 200000). Each size runs in
 * its own process (`node --expose-gc`), so one size's garbage cannot inflate the next.
 *
 * Uses embedded PGlite in memory, or DATABASE_URL when set (its tables are emptied first: use a
 * scratch database). Memory is reported three ways while the workbook is written:
 * - live memory: the largest V8 heap plus external buffers still in use after a forced GC
 *   (sampled every 250 ms): what the writer really holds; flat means no row is kept after it is written;
 * - RSS growth: peak RSS minus RSS after seeding: includes garbage V8 has not collected yet
 *   and, with PGlite, the in-process database's own working memory;
 * - the ratio of each size's live heap to the smallest size's: ~1.0 means memory does not
 *   grow with rows.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Runtime } from "../src/app/runtime.ts";
import { loadConfig } from "../src/config/config.ts";
import { openDatabase, type ReclaimDatabase } from "../src/db/connect.ts";
import { migrateToLatest } from "../src/db/migrate.ts";
import { refreshPlannerStatistics } from "../src/db/repositories/org-data.repository.ts";
import { buildReports } from "../src/reports/build-report.ts";
import type { NewUserProduct } from "../src/db/schema.ts";
import { fixedClock } from "../src/shared/clock.ts";
import { silentLogger } from "../src/shared/log.ts";

const DAY = 86_400_000;
const NOW = new Date("2026-11-28T12:00:00Z");
const PRODUCTS = [
  { key: "jira-software", rid: "ari:site-1:jira", name: "Jira Software (bench)" },
  { key: "confluence", rid: "ari:site-1:confluence", name: "Confluence (bench)" },
  { key: "jira-servicedesk", rid: "ari:site-1:jsm", name: "Jira Service Management (bench)" },
];
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;

async function seed(database: ReclaimDatabase, orgId: string, users: number): Promise<void> {
  const db = database.db;
  await db
    .insertInto("orgs")
    .values({ org_id: orgId, name: `Bench ${users}` })
    .execute();
  const run = await db
    .insertInto("crawl_runs")
    .values({
      org_id: orgId,
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
        org_id: orgId,
        product_key: p.key,
        resource_id: p.rid,
        name: p.name,
        site_url: "https://bench.atlassian.net",
      })),
    )
    .execute();
  await db
    .insertInto("groups")
    .values({ org_id: orgId, group_id: "g1", name: "jira-users", management_source: "idp" })
    .execute();
  await db
    .insertInto("group_grants")
    .values({
      org_id: orgId,
      group_id: "g1",
      resource_id: PRODUCTS[0]!.rid,
      role: "user",
      product_key: PRODUCTS[0]!.key,
    })
    .execute();
  const BATCH = 2000;
  for (let start = 0; start < users; start += BATCH) {
    const n = Math.min(BATCH, users - start);
    const us = [];
    const ups: NewUserProduct[] = [];
    const ugs = [];
    for (let i = start; i < start + n; i++) {
      const id = `acc-${String(i).padStart(7, "0")}`;
      us.push({
        org_id: orgId,
        account_id: id,
        email: `user${i}@bench.example`,
        name: `User ${i}`,
        account_type: "atlassian",
        account_status: "active",
        membership_status: "active",
        status: "active",
        claim_status: "managed",
        management_source: i % 5 === 0 ? "synced" : null,
        platform_roles: JSON.stringify(i % 500 === 0 ? ["atlassian/org-admin"] : []),
        added_to_org: new Date(NOW.getTime() - ((i * 7) % 900) * DAY),
        updated_at: NOW,
      });
      PRODUCTS.forEach((p, k) => {
        if ((i + k) % 3 === 2) return;
        const idle = (i * 13 + k * 37) % 400;
        const last = idle > 380 ? null : new Date(NOW.getTime() - idle * DAY);
        ups.push({
          org_id: orgId,
          account_id: id,
          product_key: p.key,
          resource_id: p.rid,
          last_active_at: last,
          last_active_date: last?.toISOString().slice(0, 10) ?? null,
          source: "bulk" as const,
          observed_at: NOW,
          run_id: runId,
        });
      });
      if (i % 2 === 0) ugs.push({ org_id: orgId, account_id: id, group_id: "g1" });
    }
    await db.insertInto("users").values(us).execute();
    await db.insertInto("user_products").values(ups).execute();
    if (ugs.length) await db.insertInto("user_groups").values(ugs).execute();
  }
  // As a crawl's finalise does, so the report sees the planner statistics it would in production.
  await refreshPlannerStatistics(db);
}

async function benchOnce(users: number): Promise<void> {
  const database = await openDatabase({
    dataDir: "memory://",
    databaseUrl: process.env.DATABASE_URL,
  });
  const outDir = await mkdtemp(path.join(tmpdir(), "reclaim-bench-report-"));
  try {
    await migrateToLatest(database.db);
    if (process.env.DATABASE_URL) {
      await database.db.deleteFrom("report_runs").execute();
      await database.db.deleteFrom("orgs").execute();
    }
    const orgId = `bench-${users}`;
    const t0 = Date.now();
    await seed(database, orgId, users);
    const seedMs = Date.now() - t0;
    const gc = globalThis.gc;
    if (!gc) throw new Error("run with node --expose-gc (the bench re-spawns itself that way)");
    gc();
    const before = process.memoryUsage().rss;
    const live = () => {
      const m = process.memoryUsage();
      return m.heapUsed + m.external;
    };
    const heapBefore = live();
    let peak = before;
    let livePeak = heapBefore;
    const rssTimer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const heapTimer = setInterval(() => {
      gc();
      livePeak = Math.max(livePeak, live());
    }, 250);
    const config = loadConfig({ RECLAIM_REPORTS_DIR: outDir }, {}, "/nonexistent");
    const runtime: Runtime = {
      config,
      database,
      clock: fixedClock(NOW),
      log: silentLogger,
      close: async () => {},
    };
    const t1 = Date.now();
    const [built] = await buildReports(runtime, { orgId });
    const ms = Date.now() - t1;
    clearInterval(rssTimer);
    clearInterval(heapTimer);
    peak = Math.max(peak, process.memoryUsage().rss);
    const rows = built!.summary.totals.dormantUsers;
    if (rows === 0) throw new Error("no dormant rows written: the bench measured nothing");
    const size = (await stat(built!.workbookPath)).size;
    const result: BenchResult = {
      users,
      seedSeconds: seedMs / 1000,
      rows,
      seconds: ms / 1000,
      rowsPerSecond: Math.round(rows / (ms / 1000)),
      workbookBytes: size,
      rssGrowth: peak - before,
      liveBefore: heapBefore,
      liveHeap: livePeak,
    };
    console.log(JSON.stringify(result));
  } finally {
    await database.close();
    await rm(outDir, { recursive: true, force: true });
  }
}

interface BenchResult {
  users: number;
  seedSeconds: number;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  workbookBytes: number;
  rssGrowth: number;
  liveBefore: number;
  liveHeap: number;
}

const args = process.argv.slice(2);
if (args[0] === "--child") {
  await benchOnce(Number(args[1]));
} else {
  const sizes = args.map(Number).filter((n) => n > 0);
  const results: BenchResult[] = [];
  for (const users of sizes.length ? sizes : [20_000, 50_000, 200_000]) {
    const child = spawnSync(
      process.execPath,
      ["--expose-gc", "--import", "tsx", fileURLToPath(import.meta.url), "--child", String(users)],
      { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
    );
    const line = child.stdout.trim().split("\n").pop() ?? "";
    if (child.status !== 0 || !line.startsWith("{")) {
      throw new Error(`bench for ${users} users failed (exit ${child.status}): ${child.stdout}`);
    }
    results.push(JSON.parse(line) as BenchResult);
  }
  const base = results[0]!;
  console.log(
    `database: ${process.env.DATABASE_URL ? "Postgres (DATABASE_URL)" : "embedded PGlite (in this process)"}`,
  );
  console.log(
    "| users | dormant rows | rows/s | workbook | live memory after seed | live peak while writing (after GC) | live peak / smallest | live growth | RSS growth |",
  );
  console.log(
    "| ----- | ------------ | ------ | -------- | ---------------------- | ---------------------------------- | -------------------- | ----------- | ---------- |",
  );
  for (const r of results) {
    console.log(
      `| ${r.users} | ${r.rows} | ${r.rowsPerSecond} | ${mb(r.workbookBytes)} | ${mb(r.liveBefore)} | ${mb(r.liveHeap)} | ${(r.liveHeap / base.liveHeap).toFixed(2)} | ${mb(r.liveHeap - r.liveBefore)} | ${mb(r.rssGrowth)} |`,
    );
  }
}
