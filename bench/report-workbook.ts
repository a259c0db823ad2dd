/**
 * Writes the dormant-account workbook for a large synthetic org and prints rows/s and RSS.
 * `npx tsx bench/report-workbook.ts [users...]` (default 50000 200000). Uses embedded PGlite
 * in memory, or DATABASE_URL when set (the tables are emptied first — use a scratch database).
 * With PGlite the database lives in this process, so the RSS that matters is the growth
 * while the workbook is written (peak − RSS after seeding), which must not grow with rows.
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Runtime } from "../src/app/runtime.ts";
import { loadConfig } from "../src/config/config.ts";
import { openDatabase, type ReclaimDatabase } from "../src/db/connect.ts";
import { migrateToLatest } from "../src/db/migrate.ts";
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
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
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
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    const rows = built!.summary.totals.dormantUsers;
    const size = (await stat(built!.workbookPath)).size;
    console.log(
      `${users} users: seeded in ${(seedMs / 1000).toFixed(1)} s; ${rows} dormant rows written in ${(ms / 1000).toFixed(1)} s = ${Math.round(rows / (ms / 1000))} rows/s; workbook ${mb(size)}; RSS after seed ${mb(before)}, peak ${mb(peak)}, growth while writing ${mb(peak - before)}`,
    );
  } finally {
    await database.close();
    await rm(outDir, { recursive: true, force: true });
  }
}

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
for (const n of sizes.length ? sizes : [50_000, 200_000]) await benchOnce(n);
