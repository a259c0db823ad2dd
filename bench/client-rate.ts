/**
 * Benchmark: how close the Admin API client's limiter runs to the documented ceiling, in real
 * time against the simulator over HTTP.
 *
 *   npx tsx bench/client-rate.ts [--users 10000] [--seconds 20] [--time-scale 60] [--callers 64]
 *                                [--orgs 1] [--min-utilisation 0.9]
 *
 * Starts the simulator with last-active-dates at 200 per API minute (time-scaled so an API
 * minute passes in 60 / timeScale s), lets many concurrent callers share one client per org,
 * and prints requests per simulator window, the ratio of the ceiling used, and 429s. With
 * `--orgs 2` two orgs run at once, each with its own client: each must reach the ratio on its
 * own. Also reports the bulk v2 search cost (calls per user). Exits 1 when a ratio is below
 * `--min-utilisation` or a 429 was seen. Not part of the test suite: on a loaded machine a
 * timing bar fails for reasons that are not bugs (the suite checks pacing on virtual time,
 * test/unit/atlassian/pacing.test.ts).
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
    orgs: { type: "string", default: "1" },
    "min-utilisation": { type: "string", default: "0.9" },
  },
});
const USERS = Number(values.users);
const SECONDS = Number(values.seconds);
const SCALE = Number(values["time-scale"]);
const CALLERS = Number(values.callers);
const ORGS = Math.max(1, Math.min(2, Number(values.orgs)));
const MIN = Number(values["min-utilisation"]);
const LIMIT = 200;
const WINDOW_MS = 60_000 / SCALE;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const toBoundary = () => sleep(WINDOW_MS - (Date.now() % WINDOW_MS) + 2);

async function main(): Promise<void> {
  const sim = await startSimulator({
    orgs: Array.from({ length: ORGS }, (_, i) => ({
      users: USERS,
      seed: `bench-${i}`,
      apiKey: `bench-key-${i}`,
      orgId: `bench-org-${i}`,
    })),
    timeScale: SCALE,
    rateLimits: { lastActivePerMinute: LIMIT, defaultPerMinute: 1_000_000 },
  });
  // the client paces in real time: 200 per API minute = 200 per WINDOW_MS here
  const clients = sim.orgs.map((org) => ({
    org,
    client: createAtlassianClient({
      apiKey: org.apiKey,
      baseUrl: sim.url,
      rateLimits: { lastActivePerMinute: LIMIT * SCALE, defaultPerMinute: 1_000_000 },
      maxConcurrency: 16,
    }),
  }));
  let failed = false;
  try {
    // bulk: v2 search with productAccess, 100 users per call
    const ids = new Map<string, string[]>();
    for (const { org, client } of clients) {
      const t0 = performance.now();
      let calls = 0;
      const seen: string[] = [];
      for await (const page of searchUserPages(client, {
        orgId: org.id,
        expand: ["productAccess", "groups"],
      })) {
        calls++;
        for (const u of page.items) seen.push(u.accountId);
      }
      ids.set(org.id, seen);
      console.log(
        `bulk search ${org.id}: ${seen.length} users in ${calls} calls (${(calls / seen.length).toFixed(3)} calls/user), ${(performance.now() - t0).toFixed(0)} ms`,
      );
    }

    // per-user: many callers share each org's limiter; the client's events time each answer
    let stop = false;
    let errors = 0;
    const answered = new Map<string, number[]>(clients.map(({ org }) => [org.id, []]));
    const workers = clients.flatMap(({ org, client }) => {
      const accountIds = ids.get(org.id)!;
      return Array.from({ length: CALLERS }, async (_, i) => {
        for (let n = i; !stop; n += CALLERS) {
          await getLastActiveDates(client, {
            orgId: org.id,
            accountId: accountIds[n % accountIds.length]!,
          }).then(
            () => answered.get(org.id)!.push(Date.now()),
            () => {
              errors++;
            },
          );
        }
      });
    });
    await toBoundary(); // warm-up: let the first (partial) window pass
    await toBoundary();
    const from = Date.now() - 2; // toBoundary lands 2 ms after the boundary
    const windows = Math.max(1, Math.floor((SECONDS * 1000) / WINDOW_MS));
    for (let w = 0; w < windows; w++) await toBoundary();
    stop = true;
    await Promise.all(workers);
    for (const { org, client } of clients) {
      const times = answered.get(org.id)!;
      const counts = Array.from(
        { length: windows },
        (_, w) =>
          times.filter((t) => t >= from + w * WINDOW_MS && t < from + (w + 1) * WINDOW_MS).length,
      );
      const ratio = counts.reduce((a, b) => a + b, 0) / (LIMIT * windows);
      console.log(
        `per-user last-active-dates ${org.id}: ${windows} windows of ${WINDOW_MS.toFixed(0)} ms (one API minute each), ` +
          `min ${Math.min(...counts)}, max ${Math.max(...counts)} per window (limit ${LIMIT}); ` +
          `ratio to the limit ${ratio.toFixed(3)}`,
      );
      console.log(`client stats ${org.id}:`, JSON.stringify(client.statsByEndpoint()));
      // answers are timed on the client: allow one request of jitter over the limit
      if (ratio < MIN || ratio > 1 + 1 / (LIMIT * windows)) failed = true;
    }
    console.log(`simulator: ${sim.stats.rateLimited} × 429; errors ${errors}`);
    if (sim.stats.rateLimited > 0 || errors > 0) failed = true;
  } finally {
    await sim.close();
  }
  if (failed) {
    console.log(`FAILED: a ratio below ${MIN}, above the limit, a 429 or an error`);
    process.exitCode = 1;
  }
}

await main();
