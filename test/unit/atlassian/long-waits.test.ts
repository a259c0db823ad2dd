/**
 * Never wait and then fail: a server-ordered wait longer than the caller accepts (the cap, or
 * what is left before its deadline) is refused at once, for every caller of the budget, with a
 * RateLimitError that says how long and that the run should stop. A wait that fits the
 * deadline is honoured, however long. All on virtual time.
 */
import { describe, expect, it } from "vitest";
import type { AtlassianClientOptions } from "../../../src/atlassian/index.ts";
import {
  createAtlassianClient,
  DeadlineError,
  getLastActiveDates,
  getOrg,
  RateLimitError,
  ServerError,
} from "../../../src/atlassian/index.ts";
import { API_KEY, json } from "./stub-fetch.ts";
import { VirtualTime } from "./virtual-time.ts";

const ORG = { data: { id: "o1", type: "orgs", attributes: { name: "Acme" } } };
const LAD = { data: { product_access: [] } };
const T0 = Date.UTC(2026, 10, 30, 9, 0, 0);

function setup(answer: (n: number) => Response, opts: Partial<AtlassianClientOptions> = {}) {
  const vt = new VirtualTime();
  vt.now = T0;
  const sent: number[] = [];
  const client = createAtlassianClient({
    apiKey: API_KEY,
    baseUrl: "https://api.example.test",
    now: vt.nowFn,
    sleep: vt.sleep,
    random: () => 0.5,
    fetch: () => {
      sent.push(vt.now);
      return Promise.resolve(answer(sent.length));
    },
    ...opts,
  });
  return { vt, client, sent };
}

const tooMany = (seconds: number) => () =>
  json(429, { code: 429, message: "Rate limit exceeded" }, { "retry-after": String(seconds) });

describe("a Retry-After beyond what the caller accepts", () => {
  it("fails at once with stopRun and the server's wait; queued callers are refused at once too, not after the capped wait", async () => {
    const { vt, client, sent } = setup((n) => (n === 1 ? tooMany(600)() : json(200, LAD)), {
      maxConcurrency: 2,
      rateLimits: { lastActivePerMinute: 60 },
    });
    const outcomes = await vt.run(
      Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          getLastActiveDates(client, { orgId: "o1", accountId: `u${i}` }),
        ),
      ),
    );
    // nobody sat out 180 s (the old cap) or 600 s; the run can stop right away
    expect(vt.now - T0).toBeLessThan(5_000);
    expect(sent.length).toBeLessThanOrEqual(2);
    const errors = outcomes.map((o) => (o.status === "rejected" ? (o.reason as unknown) : o));
    for (const e of errors.slice(1)) {
      expect(e).toBeInstanceOf(RateLimitError);
      expect((e as RateLimitError).stopRun).toBe(true);
    }
    const first = errors[0] as RateLimitError;
    expect(first).toBeInstanceOf(RateLimitError);
    expect(first.stopRun).toBe(true);
    expect(first.retryAfterMs).toBe(600_000);
    expect(first.retryAt).toBe(T0 + 600_000);
    expect(first.message).toMatch(
      /failed with HTTP 429 and is not retried: the API asked to wait 10 min .*longer than retry\.maxServerWaitMs \(3 min\)/,
    );
    expect(first.message).toMatch(/Stop this run and start it again after 2026-11-30T09:10:00/);
    const s = client.statsByEndpoint()["last-active-dates"]!;
    expect(s.failures).toBe(10);
    expect(s.retries).toBe(0);
  });

  it("a wait within the cap is still honoured as before", async () => {
    const { vt, client, sent } = setup((n) => (n === 1 ? tooMany(60)() : json(200, ORG)));
    await vt.run(getOrg(client, { orgId: "o1" }));
    expect(sent).toHaveLength(2);
    expect(sent[1]! - T0).toBeGreaterThanOrEqual(60_000);
  });
});

describe("a deadline", () => {
  it("honours a long Retry-After that ends before it, for every caller", async () => {
    const { vt, client, sent } = setup((n) => (n === 1 ? tooMany(600)() : json(200, ORG)), {
      deadlineAt: T0 + 2 * 3_600_000,
    });
    const results = await vt.run(
      Promise.all([getOrg(client, { orgId: "o1" }), getOrg(client, { orgId: "o1" })]),
    );
    expect(results).toHaveLength(2);
    expect(sent[0]).toBe(T0);
    for (const at of sent.slice(1)) expect(at - T0).toBeGreaterThanOrEqual(600_000);
  });

  it("refuses at once a wait that would end after it", async () => {
    const { vt, client, sent } = setup(tooMany(600), { deadlineAt: T0 + 300_000 });
    const e = await vt.run(getOrg(client, { orgId: "o1" }).catch((x: unknown) => x));
    expect(e).toBeInstanceOf(RateLimitError);
    expect((e as RateLimitError).stopRun).toBe(true);
    expect((e as RateLimitError).message).toMatch(/longer than the 5 min left before the deadline/);
    expect(vt.now).toBe(T0);
    expect(sent).toHaveLength(1);
  });

  it("a request's own, earlier deadline wins over the client's", async () => {
    const { vt, client, sent } = setup(tooMany(600), { deadlineAt: T0 + 2 * 3_600_000 });
    const e = await vt.run(
      client
        .request({
          endpoint: "orgs",
          orgId: "o1",
          method: "GET",
          path: "/admin/v1/orgs/o1",
          idempotent: true,
          deadlineAt: T0 + 300_000,
        })
        .catch((x: unknown) => x),
    );
    expect(e).toBeInstanceOf(RateLimitError);
    expect((e as RateLimitError).stopRun).toBe(true);
    expect(vt.now).toBe(T0);
    expect(sent).toHaveLength(1);
  });

  it("a backoff that would end past it is not started: the real failure comes back at once", async () => {
    const { vt, client, sent } = setup(() => json(503, { code: 503, message: "down" }), {
      deadlineAt: T0 + 500,
    });
    const e = await vt.run(getOrg(client, { orgId: "o1" }).catch((x: unknown) => x));
    expect(e).toBeInstanceOf(ServerError);
    expect(sent).toHaveLength(1);
    expect(vt.now).toBe(T0);
  });

  it("a turn in the rate limiter past it is refused with DeadlineError, and nothing is sent for it", async () => {
    const { vt, client, sent } = setup(() => json(200, LAD), {
      rateLimits: { lastActivePerMinute: 60 }, // ~1.03 s apart
      deadlineAt: T0 + 3_000,
    });
    const outcomes = await vt.run(
      Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          getLastActiveDates(client, { orgId: "o1", accountId: `u${i}` }),
        ),
      ),
    );
    const ok = outcomes.filter((o) => o.status === "fulfilled");
    const refused = outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason as unknown] : []));
    expect(ok).toHaveLength(3);
    expect(sent).toHaveLength(3);
    expect(refused).toHaveLength(7);
    for (const e of refused) {
      expect(e).toBeInstanceOf(DeadlineError);
      expect((e as DeadlineError).stopRun).toBe(true);
      expect((e as DeadlineError).deadlineAt).toBe(T0 + 3_000);
    }
    expect(vt.now - T0).toBeLessThan(3_000);
  });

  it("a deadline already passed sends nothing", async () => {
    const { client, sent } = setup(() => json(200, ORG), { deadlineAt: T0 - 1 });
    await expect(getOrg(client, { orgId: "o1" })).rejects.toBeInstanceOf(DeadlineError);
    expect(sent).toHaveLength(0);
  });
});
