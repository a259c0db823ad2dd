/**
 * Crawl benchmark: a simulated org of N users (default 100k), crawled with each strategy.
 * Prints API calls per user and, for the per-user phase, the achieved request rate as a
 * fraction of the rate limit (the physical ceiling: 200/min per org, scaled by --time-scale so
 * the run takes minutes instead of hours).
 *
 *   npx tsx bench/crawl.ts [--users 100000] [--strategies auto,bulk,per-user]
 *                          [--time-scale 50] [--per-user-users 20000]
 * Uses embedded PGlite in memory, or DATABASE_URL when set (a fresh schema is migrated there).
 */
import { parseArgs } from "node:util";
import { createAtlassianClient } from "../src/atlassian/index.ts";
import type { CrawlStrategy } from "../src/config/sections/crawl.ts";
import { crawlOrg } from "../src/crawl/crawl-org.ts";
import { RequestMeter } from "../src/crawl/metrics.ts";
import { openDatabase } from "../src/db/connect.ts";
import { migrateDownAll, migrateToLatest } from "../src/db/migrate.ts";
import { systemClock } from "../src/shared/clock.ts";
import { silentLogger } from "../src/shared/log.ts";
import { startSimulator } from "../src/simulator/index.ts";

const { values } = parseArgs({
  options: {
    users: { type: "string", default: "100000" },
    strategies: { type: "string", default: "bulk,auto,per-user" },
    "time-scale": { type: "string", default: "50" },
    "per-user-users": { type: "string" },
  },
});
const users = Number(values.users);
const timeScale = Number(values["time-scale"]);
const perUserUsers = Number(values["per-user-users"] ?? users);
const strategies = values.strategies.split(",") as CrawlStrategy[];
const LIMIT = 200;

console.log(
  `crawl benchmark: ${users} users, time scale ${timeScale}x (last-active-dates limit ${LIMIT}/min = ${LIMIT * timeScale}/min here), ${process.env.DATABASE_URL ? "Postgres" : "PGlite"}`,
);
for (const strategy of strategies) {
  const n = strategy === "per-user" ? perUserUsers : users;
  const sim = await startSimulator({ orgs: [{ users: n, seed: "bench" }], timeScale });
  const database = await openDatabase({
    databaseUrl: process.env.DATABASE_URL,
    dataDir: "memory://",
  });
  if (process.env.DATABASE_URL) await migrateDownAll(database.db);
  await migrateToLatest(database.db);
  const meter = new RequestMeter();
  const client = createAtlassianClient({
    apiKey: sim.apiKey,
    baseUrl: sim.url,
    maxConcurrency: 16,
    rateLimits: { lastActivePerMinute: LIMIT * timeScale, defaultPerMinute: 1000 * timeScale },
    onRequest: meter.record,
  });
  const started = Date.now();
  const result = await crawlOrg(
    { db: database.db, client, meter, clock: systemClock, log: silentLogger },
    { strategy, concurrency: 16, crossCheckSample: 20, lastActivePerMinute: LIMIT * timeScale },
  );
  const seconds = (Date.now() - started) / 1000;
  const perUser = result.perUser;
  const line = [
    `${strategy.padEnd(8)} ${result.status}`,
    `users ${result.users}`,
    `API calls ${result.apiCallsTotal} (${(result.apiCallsTotal / result.users).toFixed(3)} per user)`,
    `users/search pages ${result.apiCalls["users-search"] ?? 0}`,
    `last-active-dates ${result.apiCalls["last-active-dates"] ?? 0}`,
    `429s ${result.rateLimited}`,
    `wall ${seconds.toFixed(1)} s`,
    perUser
      ? `per-user rate ${perUser.achievedPerMinute}/${perUser.limitPerMinute} per min = ${(perUser.utilisation * 100).toFixed(1)}% of the limit`
      : "per-user rate n/a",
    `users/s ${(result.users / seconds).toFixed(0)}`,
    `real-API time at ${LIMIT}/min for the per-user calls: ${((result.apiCalls["last-active-dates"] ?? 0) / LIMIT / 60).toFixed(2)} h`,
  ];
  console.log(line.join(" | "));
  await database.close();
  await sim.close();
}
