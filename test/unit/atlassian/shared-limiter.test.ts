import { describe, expect, it } from "vitest";
import {
  createAtlassianClient,
  getLastActiveDates,
  getOrg,
  listDirectories,
} from "../../../src/atlassian/index.ts";
import { API_KEY, json } from "./stub-fetch.ts";
import { VirtualTime } from "./virtual-time.ts";

const ORG = { data: { id: "o1", type: "orgs", attributes: { name: "Acme" } } };
const LAD = { data: { product_access: [] } };

/** A client on virtual time whose fetch answers from `answer` and records when each call started. */
function setup(answer: (url: URL, n: number) => Response, rateLimits = {}) {
  const vt = new VirtualTime();
  const starts: { at: number; path: string }[] = [];
  const client = createAtlassianClient({
    apiKey: API_KEY,
    baseUrl: "https://api.example.test",
    now: vt.nowFn,
    sleep: vt.sleep,
    random: () => 0,
    rateLimits,
    fetch: ((input: string) => {
      const url = new URL(input);
      starts.push({ at: vt.now, path: url.pathname });
      return Promise.resolve(answer(url, starts.length));
    }) as typeof fetch,
  });
  return { vt, client, starts };
}

describe("one limiter per (org, endpoint class), shared by all callers", () => {
  it("a 429 seen by one caller pauses the others until the server's wait is over", async () => {
    const { vt, client, starts } = setup(
      (_u, n) =>
        n === 1
          ? json(429, { code: 429, message: "Rate limit exceeded" }, { "retry-after": "10" })
          : json(200, ORG),
      { defaultPerMinute: 60 }, // one request per second (paced at 97%)
    );
    await vt.run(
      Promise.all([
        getOrg(client, { orgId: "o1" }),
        getOrg(client, { orgId: "o1" }),
        getOrg(client, { orgId: "o1" }),
      ]),
    );
    expect(starts[0]!.at).toBe(0);
    // nobody goes out during the 10 s pause, and afterwards they are paced again
    for (const s of starts.slice(1)) expect(s.at).toBeGreaterThanOrEqual(10_000);
    const gaps = starts.slice(1).map((s, i) => s.at - (starts[i]?.at ?? 0));
    expect(gaps.slice(1).every((g) => g >= 1000)).toBe(true);
    expect(client.statsByEndpoint().orgs).toMatchObject({
      requests: 4,
      rateLimited: 1,
      retries: 1,
    });
  });

  it("X-RateLimit-Remaining: 0 holds every caller until X-RateLimit-Reset, without a 429", async () => {
    const reset = new Date(30_000).toISOString();
    const { vt, client, starts } = setup((_u, n) =>
      json(
        200,
        ORG,
        n === 1
          ? { "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset }
          : { "x-ratelimit-remaining": "99" },
      ),
    );
    await vt.run(getOrg(client, { orgId: "o1" }));
    await vt.run(getOrg(client, { orgId: "o1" }));
    expect(starts[1]!.at).toBe(30_000);
    expect(client.statsByEndpoint().orgs?.rateLimited).toBe(0);
  });

  it("orgs and endpoint classes are paced independently", async () => {
    const { vt, client, starts } = setup(
      (u) => (u.pathname.includes("last-active") ? json(200, LAD) : json(200, ORG)),
      {
        lastActivePerMinute: 60,
        defaultPerMinute: 60,
      },
    );
    await vt.run(
      Promise.all([
        getLastActiveDates(client, { orgId: "o1", accountId: "a" }),
        getLastActiveDates(client, { orgId: "o1", accountId: "b" }),
        getLastActiveDates(client, { orgId: "o2", accountId: "a" }),
        getOrg(client, { orgId: "o1" }),
      ]),
    );
    const at = (p: string) => starts.filter((s) => s.path.includes(p)).map((s) => s.at);
    expect(at("/orgs/o1/directory")).toEqual([0, expect.any(Number)]);
    expect(at("/orgs/o1/directory")[1]).toBeGreaterThanOrEqual(1000); // same org, same class: paced
    expect(at("/orgs/o2/directory")).toEqual([0]); // other org: its own budget
    expect(starts.filter((s) => s.path === "/admin/v1/orgs/o1").map((s) => s.at)).toEqual([0]); // other class
    expect(
      client
        .stats()
        .map((s) => `${s.orgId} ${s.endpoint}`)
        .sort(),
    ).toEqual(["o1 last-active-dates", "o1 orgs", "o2 last-active-dates"]);
  });

  it("classes without a published limit share the org's default budget (the server counts them together)", async () => {
    const { vt, client, starts } = setup(
      (u) =>
        u.pathname.endsWith("/directories") ? json(200, { data: [], links: {} }) : json(200, ORG),
      { defaultPerMinute: 60 },
    );
    await vt.run(
      Promise.all([getOrg(client, { orgId: "o1" }), listDirectories(client, { orgId: "o1" })]),
    );
    expect(starts.map((s) => s.at)).toEqual([0, expect.any(Number)]);
    expect(starts[1]!.at).toBeGreaterThanOrEqual(1000);
    expect(client.stats().map((s) => [s.endpoint, s.budget])).toEqual([
      ["orgs", "default"],
      ["directories", "default"],
    ]);

    // a per-class override gives that class a budget of its own
    const own = setup(
      (u) =>
        u.pathname.endsWith("/directories") ? json(200, { data: [], links: {} }) : json(200, ORG),
      { defaultPerMinute: 60, perEndpoint: { directories: 60 } },
    );
    await own.vt.run(
      Promise.all([
        getOrg(own.client, { orgId: "o1" }),
        listDirectories(own.client, { orgId: "o1" }),
      ]),
    );
    expect(own.starts.map((s) => s.at)).toEqual([0, 0]);
  });

  it("honours Retry-After on a 503 too", async () => {
    const { vt, client, starts } = setup((_u, n) =>
      n === 1
        ? json(503, { code: 503, message: "Service Unavailable" }, { "retry-after": "4" })
        : json(200, ORG),
    );
    await vt.run(getOrg(client, { orgId: "o1" }));
    expect(starts[1]!.at).toBe(4000);
  });
});
