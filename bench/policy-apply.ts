/**
 * Benchmark: applying a large policy plan at the real rate limits, writes and live re-reads
 * sharing the org's budgets, against the simulator over HTTP.
 *
 *   npx tsx bench/policy-apply.ts [--users 4000] [--actions 1000] [--time-scale 10]
 *                                 [--concurrency 32]
 *
 * The simulator enforces Atlassian's limits (last-active-dates 200 per API minute, every other
 * endpoint 1000), time-scaled so an API minute passes in 60 / timeScale s; the client paces at
 * the same limits scaled the same way. A seeded org is crawled, a plan of up to `--actions`
 * remove-product-access actions is built, approved and applied. Printed: actions by outcome,
 * API calls per action, and per budget the requests made, the achieved rate against the
 * limit, and 429s (client- and server-side). Exits 1 on any 429. Not part of the test suite.
 * The database is embedded PGlite in memory, or DATABASE_URL (a throwaway database: it is
 * migrated and written). At time scale 60 one process must serve the simulator, the client and
 * the database at 1,000 requests a second, which a busy 2-core machine cannot: the rate then
 * measures the machine, not the pacing; time scale 10 keeps the limits the bottleneck.
 */
import { parseArgs } from "node:util";
import { createAtlassianClient } from "../src/atlassian/index.ts";
import { policySectionSchema } from "../src/config/sections/policy.ts";
import { reportSectionSchema } from "../src/config/sections/report.ts";
import { crawlOrg } from "../src/crawl/crawl-org.ts";
import { RequestMeter } from "../src/crawl/metrics.ts";
import { openDatabase } from "../src/db/connect.ts";
import { migrateToLatest } from "../src/db/migrate.ts";
import { applyPlan } from "../src/policy/apply/apply-plan.ts";
import { atlassianPolicyApi } from "../src/policy/apply/atlassian-policy-api.ts";
import { approvePlan } from "../src/policy/approve.ts";
import { buildPlan } from "../src/policy/plan/build-plan.ts";
import { systemClock } from "../src/shared/clock.ts";
import { silentLogger } from "../src/shared/log.ts";
import { startSimulator } from "../src/simulator/index.ts";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

const { values } = parseArgs({
  options: {
    users: { type: "string", default: "4000" },
    actions: { type: "string", default: "1000" },
    "time-scale": { type: "string", default: "10" },
    concurrency: { type: "string", default: "32" },
  },
});
const USERS = Number(values.users);
const ACTIONS = Number(values.actions);
const SCALE = Number(values["time-scale"]);
const CONCURRENCY = Number(values.concurrency);
const LAST_ACTIVE = 200;
const DEFAULT = 1000;

async function main(): Promise<void> {
  const sim = await startSimulator({
    orgs: [{ users: USERS, seed: "bench-policy" }],
    timeScale: SCALE,
    rateLimits: { lastActivePerMinute: LAST_ACTIVE, defaultPerMinute: DEFAULT },
  });
  const database = await openDatabase({
    databaseUrl: process.env.DATABASE_URL,
    dataDir: "memory://",
  });
  const org = sim.orgs[0]!;
  const client = () =>
    createAtlassianClient({
      apiKey: org.apiKey,
      baseUrl: sim.url,
      rateLimits: { lastActivePerMinute: LAST_ACTIVE * SCALE, defaultPerMinute: DEFAULT * SCALE },
      maxConcurrency: 16,
    });
  try {
    await migrateToLatest(database.db);
    const meter = new RequestMeter();
    const crawled = await crawlOrg(
      { db: database.db, client: client(), meter, clock: systemClock, log: silentLogger },
      {
        orgId: org.id,
        strategy: "bulk",
        concurrency: 8,
        crossCheckSample: 0,
        lastActivePerMinute: LAST_ACTIVE * SCALE,
      },
    );
    if (crawled.status !== "succeeded") throw new Error(`crawl ${crawled.status}`);
    const policy = policySectionSchema.parse({
      rules: [{ name: "idle-90", idleDays: 90 }],
      maxActions: ACTIONS,
      maxPercent: 100,
      warnDays: 0,
    });
    const dir = await mkdtemp(path.join(tmpdir(), "reclaim-bench-policy-"));
    const plan = await buildPlan(
      { db: database.db, clock: systemClock, log: silentLogger },
      { policy, report: reportSectionSchema.parse({}), outDir: dir },
      { orgId: org.id, actor: "bench" },
    );
    await approvePlan(
      { db: database.db, clock: systemClock, log: silentLogger },
      { policy },
      { planId: plan.planId, by: "bench", kind: "manual" },
    );
    const applyClient = client();
    const before = sim.stats.rateLimited;
    const t0 = performance.now();
    const result = await applyPlan(
      {
        db: database.db,
        api: atlassianPolicyApi(applyClient, org.id),
        clock: systemClock,
        log: silentLogger,
      },
      { planId: plan.planId, actor: "bench", policy, concurrency: CONCURRENCY },
    );
    const ms = performance.now() - t0;
    const apiMinutes = (ms * SCALE) / 60_000;
    const byState = new Map<string, number>();
    for (const o of result.outcomes) byState.set(o.state, (byState.get(o.state) ?? 0) + 1);
    const budgets = new Map<string, { limit: number; requests: number; rateLimited: number }>();
    for (const s of applyClient.stats()) {
      const b = budgets.get(s.budget) ?? { limit: s.limitPerMinute, requests: 0, rateLimited: 0 };
      b.requests += s.requests;
      b.rateLimited += s.rateLimited;
      budgets.set(s.budget, b);
    }
    const requests = [...budgets.values()].reduce((n, b) => n + b.requests, 0);
    const serverLimited = sim.stats.rateLimited - before;
    console.log(
      `users ${USERS}, plan ${plan.planId}: ${plan.actions.length} actions (asked ${ACTIONS})`,
    );
    console.log(
      `applied in ${(ms / 1000).toFixed(1)} s = ${apiMinutes.toFixed(2)} API minutes at time scale ${SCALE}; concurrency ${CONCURRENCY}`,
    );
    console.log(
      `outcomes: ${[...byState].map(([k, v]) => `${v} ${k}`).join(", ")}; ${result.writes} writes`,
    );
    const reasons = new Map<string, number>();
    for (const o of result.outcomes.filter((x) => x.state !== "done")) {
      const why = (o.outcome ?? "").replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, "…");
      reasons.set(why, (reasons.get(why) ?? 0) + 1);
    }
    for (const [why, n] of reasons) console.log(`  ${n} × ${why}`);
    console.log(
      `API calls: ${requests} (${(requests / Math.max(1, result.outcomes.length)).toFixed(2)} per action)`,
    );
    console.log("budget               requests   per API minute   limit   rate/limit   429s");
    for (const [name, b] of budgets) {
      const rate = b.requests / apiMinutes;
      console.log(
        `${name.padEnd(20)} ${String(b.requests).padStart(8)}   ${rate.toFixed(0).padStart(14)}   ${String(b.limit / SCALE).padStart(5)}   ${(rate / (b.limit / SCALE)).toFixed(2).padStart(10)}   ${String(b.rateLimited).padStart(4)}`,
      );
    }
    console.log(`429 answers from the simulator during apply: ${serverLimited}`);
    if (serverLimited > 0 || [...budgets.values()].some((b) => b.rateLimited > 0))
      process.exitCode = 1;
  } finally {
    await database.close();
    await sim.close();
  }
}

await main();
