import { describe, expect, it } from "vitest";
import { createAtlassianClient, getLastActiveDates } from "../../../src/atlassian/index.ts";
import { startSimulator } from "../../../src/simulator/index.ts";
import { startWithClient } from "./sim-client.ts";

const LIMIT = 200; // documented last-active-dates ceiling per org per minute
// One API minute lasts 3 s: fast enough for a test, slow enough (67 requests/s through the
// client and the in-process simulator) that a busy 2-core machine still keeps up.
const TIME_SCALE = 20;
const WINDOW_MS = 60_000 / TIME_SCALE;
const MEASURED_WINDOWS = 3;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Sleeps to the next simulator window boundary (its windows are aligned to multiples of WINDOW_MS). */
const toBoundary = () => sleep(WINDOW_MS - (Date.now() % WINDOW_MS) + 2);

describe("rate limiter against the simulator", () => {
  it("many concurrent callers together use ≥ 90% of 200/min on last-active-dates, with no 429", async () => {
    const { sim, client, orgId } = await startWithClient(
      { timeScale: TIME_SCALE, rateLimits: { lastActivePerMinute: LIMIT } },
      // the client paces in real time: 200 per API minute = 200 per 3 s here
      { rateLimits: { lastActivePerMinute: LIMIT * TIME_SCALE }, maxConcurrency: 16 },
    );
    try {
      const accountIds = sim.orgs[0]!.users.filter(
        (u) => Object.keys(u.memberships).length > 0,
      ).map((u) => u.accountId);
      let stop = false;
      let failures = 0;
      const callers = Array.from({ length: 40 }, async (_, i) => {
        for (let n = i; !stop; n += 40) {
          await getLastActiveDates(client, {
            orgId,
            accountId: accountIds[n % accountIds.length]!,
          }).catch(() => {
            failures++;
          });
        }
      });

      await toBoundary(); // warm-up: let the first (partial) window pass
      await toBoundary();
      const counts: number[] = [];
      let last = sim.stats.byRateClass["last-active"];
      for (let w = 0; w < MEASURED_WINDOWS; w++) {
        await toBoundary();
        const now = sim.stats.byRateClass["last-active"];
        counts.push(now - last);
        last = now;
      }
      stop = true;
      await Promise.all(callers);

      const used = counts.reduce((a, b) => a + b, 0) / (LIMIT * MEASURED_WINDOWS);
      console.log(
        `last-active-dates: ${counts.join(", ")} requests per ${WINDOW_MS} ms window (limit ${LIMIT}); ` +
          `utilisation ${(used * 100).toFixed(1)}%; 429s ${sim.stats.rateLimited}`,
      );
      expect(failures).toBe(0);
      // never over the ceiling: the server never had to refuse a call, and the measured windows
      // together stayed within the budget (single windows are sampled with timer jitter)
      expect(sim.stats.rateLimited).toBe(0);
      expect(used).toBeLessThanOrEqual(1);
      expect(used).toBeGreaterThanOrEqual(0.9);
      expect(client.statsByEndpoint()["last-active-dates"]).toMatchObject({
        rateLimited: 0,
        failures: 0,
      });
    } finally {
      await sim.close();
    }
  });
});

const TWO_ORG_SCALE = TIME_SCALE;
const TWO_ORG_WINDOW_MS = 60_000 / TWO_ORG_SCALE;

describe("two orgs at once", () => {
  it("each org's limiter runs its own org at the ceiling, independently of the other", async () => {
    const sim = await startSimulator({
      orgs: [
        { users: 30, seed: "org-a", apiKey: "key-a", orgId: "org-a" },
        { users: 30, seed: "org-b", apiKey: "key-b", orgId: "org-b" },
      ],
      timeScale: TWO_ORG_SCALE,
      rateLimits: { lastActivePerMinute: LIMIT },
    });
    try {
      const done: Record<string, number[]> = { "org-a": [], "org-b": [] };
      let stop = false;
      const run = sim.orgs.map(async (org) => {
        const client = createAtlassianClient({
          apiKey: org.apiKey,
          baseUrl: sim.url,
          rateLimits: { lastActivePerMinute: LIMIT * TWO_ORG_SCALE },
          maxConcurrency: 16,
          onRequest: (e) => {
            if (e.status === 200) done[org.id]!.push(Date.now());
          },
        });
        const ids = org.users
          .filter((u) => Object.keys(u.memberships).length > 0)
          .map((u) => u.accountId);
        await Promise.all(
          Array.from({ length: 20 }, async (_, i) => {
            for (let n = i; !stop; n += 20) {
              await getLastActiveDates(client, { orgId: org.id, accountId: ids[n % ids.length]! });
            }
          }),
        );
      });
      await sleep(TWO_ORG_WINDOW_MS / 2); // warm-up
      const from = Date.now();
      await sleep(3 * TWO_ORG_WINDOW_MS);
      const to = Date.now();
      stop = true;
      await Promise.all(run);

      const budget = (LIMIT * (to - from)) / TWO_ORG_WINDOW_MS;
      const used = Object.fromEntries(
        Object.entries(done).map(([id, ts]) => [
          id,
          ts.filter((t) => t >= from && t < to).length / budget,
        ]),
      );
      console.log(
        `two orgs, utilisation per org: ${JSON.stringify(used)}; 429s ${sim.stats.rateLimited}`,
      );
      expect(sim.stats.rateLimited).toBe(0);
      for (const u of Object.values(used)) {
        // Two orgs double the in-process load; this test is about independence, so it allows a
        // little more slack than the acceptance test above (which holds the 90% bar).
        expect(u).toBeGreaterThanOrEqual(0.85);
        expect(u).toBeLessThanOrEqual(1.01); // client-side timestamps: allow a request of jitter
      }
    } finally {
      await sim.close();
    }
  });
});
