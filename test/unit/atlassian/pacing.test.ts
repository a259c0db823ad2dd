/**
 * Pacing through the whole client on virtual time: many callers share one org's budget and
 * run it at its ceiling, never over; two orgs do not slow each other. (The same measurement
 * against the simulator in real time is `bench/client-rate.ts`; timing assertions do not belong
 * in the suite.)
 */
import { describe, expect, it } from "vitest";
import { createAtlassianClient, getLastActiveDates } from "../../../src/atlassian/index.ts";
import { API_KEY, json } from "./stub-fetch.ts";
import { VirtualTime } from "./virtual-time.ts";

const LIMIT = 200; // documented last-active-dates ceiling per org per minute
const MINUTE = 60_000;
const LAD = { data: { product_access: [] } };

/** A client on virtual time whose server takes `latencyMs` per call and counts starts per org. */
function setup(latencyMs: number) {
  const vt = new VirtualTime();
  const starts: { at: number; org: string }[] = [];
  const client = createAtlassianClient({
    apiKey: API_KEY,
    baseUrl: "https://api.example.test",
    now: vt.nowFn,
    sleep: vt.sleep,
    random: () => 0.5,
    maxConcurrency: 16,
    fetch: (async (input: string) => {
      starts.push({ at: vt.now, org: new URL(input).pathname.split("/")[4]! });
      await vt.sleep(latencyMs);
      return json(200, LAD);
    }) as typeof fetch,
  });
  return { vt, client, starts };
}

/** Requests started in each whole minute after the first `warmup` minutes. */
function perMinute(starts: number[], from: number, minutes: number): number[] {
  return Array.from(
    { length: minutes },
    (_, m) => starts.filter((t) => t >= from + m * MINUTE && t < from + (m + 1) * MINUTE).length,
  );
}

/** The most requests started in any sliding minute. */
function busiestMinute(starts: number[]): number {
  const s = [...starts].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < s.length; j++) {
    while (s[j]! - s[i]! >= MINUTE) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

describe("one org's budget, many callers", () => {
  it("40 callers use ≥ 90% of 200/min on last-active-dates and never exceed it in any minute", async () => {
    const { vt, client, starts } = setup(450);
    let stop = false;
    await vt.run(
      Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          for (let n = i; !stop; n += 40) {
            await getLastActiveDates(client, { orgId: "o1", accountId: `u${n}` });
            if (vt.now >= 6 * MINUTE) stop = true;
          }
        }),
      ),
    );
    const times = starts.map((s) => s.at);
    const minutes = perMinute(times, MINUTE, 4);
    for (const n of minutes) {
      expect(n).toBeGreaterThanOrEqual(0.9 * LIMIT);
      expect(n).toBeLessThanOrEqual(LIMIT);
    }
    expect(busiestMinute(times)).toBeLessThanOrEqual(LIMIT);
    expect(client.statsByEndpoint()["last-active-dates"]).toMatchObject({
      rateLimited: 0,
      failures: 0,
    });
  });

  it("slow answers do not cost pace while concurrency allows; they do once it is the bound", async () => {
    // 16 in flight × 1 call per 2 s = 480/min > 200: pace is the bound
    const fast = setup(2_000);
    // 16 in flight × 1 call per 10 s = 96/min: concurrency is the bound
    const slow = setup(10_000);
    for (const s of [fast, slow]) {
      let stop = false;
      await s.vt.run(
        Promise.all(
          Array.from({ length: 40 }, async (_, i) => {
            for (let n = i; !stop; n += 40) {
              await getLastActiveDates(s.client, { orgId: "o1", accountId: `u${n}` });
              if (s.vt.now >= 4 * MINUTE) stop = true;
            }
          }),
        ),
      );
    }
    const rate = (s: ReturnType<typeof setup>) =>
      perMinute(
        s.starts.map((x) => x.at),
        MINUTE,
        2,
      );
    for (const n of rate(fast)) expect(n).toBeGreaterThanOrEqual(0.9 * LIMIT);
    for (const n of rate(slow)) expect(n).toBeLessThanOrEqual(100);
  });
});

describe("two orgs at once", () => {
  it("each org's limiter runs its own org at the ceiling, independently of the other", async () => {
    const { vt, client, starts } = setup(300);
    let stop = false;
    await vt.run(
      Promise.all(
        ["org-a", "org-b"].flatMap((orgId) =>
          Array.from({ length: 20 }, async (_, i) => {
            for (let n = i; !stop; n += 20) {
              await getLastActiveDates(client, { orgId, accountId: `u${n}` });
              if (vt.now >= 5 * MINUTE) stop = true;
            }
          }),
        ),
      ),
    );
    for (const org of ["org-a", "org-b"]) {
      const times = starts.filter((s) => s.org === org).map((s) => s.at);
      for (const n of perMinute(times, MINUTE, 3)) {
        expect(n, org).toBeGreaterThanOrEqual(0.9 * LIMIT);
        expect(n, org).toBeLessThanOrEqual(LIMIT);
      }
      expect(busiestMinute(times), org).toBeLessThanOrEqual(LIMIT);
    }
  });
});
