/**
 * Benchmark: how close the Admin API client's limiter runs to the documented ceiling.
 *
 *   npx tsx bench/client-rate.ts [--users 10000] [--seconds 20] [--time-scale 60] [--callers 64]
 *
 * Starts the simulator with last-active-dates at 200 per API minute (time-scaled so an API
 * minute passes in 60 / timeScale s), lets many concurrent callers share one client, and
 * prints requests per simulator window, utilisation of the ceiling and 429s. Also reports the
 * bulk v2 search cost (calls per user). Not part of the test suite.
 */
import { parseArgs } from "node:util";
import {
  createAtlassianClient,
  getLastActiveDates,
  searchUserPages,
} from "../src/atlassian/index.ts";
import { startSimulator } from "../src/simulator/index.ts";

const { values } = parseArgs({
  options: {
    users: { type: "string", default: "10000" },
    seconds: { type: "string", default: "20" },
    "time-scale": { type: "string", default: "60" },
    callers: { type: "string", default: "64" },
  },
});
const USERS = Number(values.users);
const SECONDS = Number(values.seconds);
const SCALE = Number(values["time-scale"]);
const CALLERS = Number(values.callers);
const LIMIT = 200;
const WINDOW_MS = 60_000 / SCALE;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const toBoundary = () => sleep(WINDOW_MS - (Date.now() % WINDOW_MS) + 2);

async function main(): Promise<void> {
  const sim = await startSimulator({
    orgs: [{ users: USERS, seed: "bench", apiKey: "bench-key", orgId: "bench-org" }],
    timeScale: SCALE,
    rateLimits: { lastActivePerMinute: LIMIT, defaultPerMinute: 1_000_000 },
  });
  const client = createAtlassianClient({
    apiKey: sim.apiKey,
    baseUrl: sim.url,
    rateLimits: { lastActivePerMinute: LIMIT * SCALE, defaultPerMinute: 1_000_000 },
    maxConcurrency: 16,
  });
  try {
    // bulk: v2 search with productAccess, 100 users per call
    const t0 = performance.now();
    let users = 0;
    let calls = 0;
    const ids: string[] = [];
    for await (const page of searchUserPages(client, {
      orgId: sim.orgId,
      expand: ["productAccess", "groups"],
    })) {
      calls++;
      users += page.items.length;
      for (const u of page.items) ids.push(u.accountId);
    }
    const bulkMs = performance.now() - t0;
    console.log(
      `bulk search: ${users} users in ${calls} calls (${(calls / users).toFixed(3)} calls/user), ${bulkMs.toFixed(0)} ms`,
    );

    // per-user: many callers share one limiter
    let stop = false;
    let errors = 0;
    const workers = Array.from({ length: CALLERS }, async (_, i) => {
      for (let n = i; !stop; n += CALLERS) {
        await getLastActiveDates(client, {
          orgId: sim.orgId,
          accountId: ids[n % ids.length]!,
        }).catch(() => {
          errors++;
        });
      }
    });
    await toBoundary();
    await toBoundary();
    const windows = Math.max(1, Math.floor((SECONDS * 1000) / WINDOW_MS));
    const counts: number[] = [];
    let last = sim.stats.byRateClass["last-active"];
    for (let w = 0; w < windows; w++) {
      await toBoundary();
      const now = sim.stats.byRateClass["last-active"];
      counts.push(now - last);
      last = now;
    }
    stop = true;
    await Promise.all(workers);
    const total = counts.reduce((a, b) => a + b, 0);
    console.log(
      `per-user last-active-dates: ${windows} windows of ${WINDOW_MS.toFixed(0)} ms (one API minute each), ` +
        `min ${Math.min(...counts)}, max ${Math.max(...counts)} per window (limit ${LIMIT}); ` +
        `utilisation ${((total / (LIMIT * windows)) * 100).toFixed(1)}%; 429s ${sim.stats.rateLimited}; errors ${errors}`,
    );
    console.log("client stats:", JSON.stringify(client.statsByEndpoint()));
  } finally {
    await sim.close();
  }
}

await main();
