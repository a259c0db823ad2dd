import { describe, expect, it } from "vitest";
import type { RequestEvent } from "../../../src/atlassian/index.ts";
import {
  AuthError,
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NetworkError,
  NotFoundError,
  RateLimitError,
  ServerError,
  getOrg,
} from "../../../src/atlassian/index.ts";
import { API_KEY, json, stubClient, text } from "./stub-fetch.ts";

const ORG = { data: { id: "o1", type: "orgs", attributes: { name: "Acme" } } };
const ok = () => json(200, ORG);
const fail =
  (status: number, headers: Record<string, string> = {}) =>
  () =>
    json(status, { code: status, message: "nope" }, headers);

describe("request basics", () => {
  it("sends Bearer auth, JSON accept, a User-Agent and the right URL", async () => {
    const { client, calls } = stubClient(ok, { userAgent: "reclaim-test/1" });
    await expect(getOrg(client, { orgId: "o 1/x" })).resolves.toEqual({ id: "o1", name: "Acme" });
    const c = calls[0]!;
    expect(c.url.href).toBe("https://api.example.test/admin/v1/orgs/o%201%2Fx");
    expect(c.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(c.headers.accept).toBe("application/json");
    expect(c.headers["user-agent"]).toBe("reclaim-test/1");
    expect(c.headers["content-type"]).toBeUndefined();
  });
});

describe("retry decisions", () => {
  it("honours Retry-After on 429, then succeeds", async () => {
    const { client, calls, sleeps } = stubClient([fail(429, { "retry-after": "7" }), ok]);
    await getOrg(client, { orgId: "o1" });
    expect(calls).toHaveLength(2);
    // 7 s plus a small jitter (random = 0.5 → half of min(1000, 10% + 50))
    expect(sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(7000);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBeLessThan(8000);
    expect(client.statsByEndpoint().orgs).toMatchObject({
      requests: 2,
      rateLimited: 1,
      retries: 1,
      failures: 0,
    });
  });

  it("falls back to X-RateLimit-Reset (minute precision) when there is no Retry-After", async () => {
    // stub clock starts at 12:00:00; reset at 12:01 → wait 60 s
    const { client, sleeps } = stubClient([
      fail(429, { "x-ratelimit-reset": "2026-11-28T12:01Z" }),
      ok,
    ]);
    await getOrg(client, { orgId: "o1" });
    const total = sleeps.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(60_000);
    expect(total).toBeLessThan(61_100);
  });

  it("uses exponential backoff with jitter when the server gives no hint, and gives up after maxAttempts", async () => {
    const { client, calls, sleeps } = stubClient(fail(503), {
      retry: { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 3000 },
      random: () => 0.5,
    });
    const err = await getOrg(client, { orgId: "o1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).attempts).toBe(4);
    expect((err as ServerError).message).toMatch(/tried 4 times/);
    expect(calls).toHaveLength(4);
    // equal jitter: step/2 + 0.5*step/2 for steps 1000, 2000, 3000 (capped)
    expect(sleeps).toEqual([750, 1500, 2250]);
  });

  it("jitter spreads the delays between step/2 and step", async () => {
    const low = stubClient(fail(502), {
      retry: { maxAttempts: 2, baseDelayMs: 1000 },
      random: () => 0,
    });
    await getOrg(low.client, { orgId: "o1" }).catch(() => undefined);
    const high = stubClient(fail(502), {
      retry: { maxAttempts: 2, baseDelayMs: 1000 },
      random: () => 0.999,
    });
    await getOrg(high.client, { orgId: "o1" }).catch(() => undefined);
    expect(low.sleeps).toEqual([500]);
    expect(high.sleeps[0]).toBeGreaterThan(990);
    expect(high.sleeps[0]).toBeLessThan(1000);
  });

  for (const status of [502, 503, 504]) {
    it(`retries ${status}`, async () => {
      const { client, calls } = stubClient([fail(status), fail(status), ok]);
      await expect(getOrg(client, { orgId: "o1" })).resolves.toMatchObject({ id: "o1" });
      expect(calls).toHaveLength(3);
    });
  }

  it("never retries 501 (not implemented is not transient)", async () => {
    const { client, calls, sleeps } = stubClient([fail(501), ok]);
    const err = await getOrg(client, { orgId: "o1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).retryable).toBe(false);
    expect(calls).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  const never: [number, new (...a: never[]) => Error][] = [
    [400, BadRequestError],
    [401, AuthError],
    [403, ForbiddenError],
    [404, NotFoundError],
    [409, ConflictError],
  ];
  for (const [status, cls] of never) {
    it(`never retries ${status}`, async () => {
      const { client, calls, sleeps } = stubClient(fail(status));
      await expect(getOrg(client, { orgId: "o1" })).rejects.toBeInstanceOf(cls);
      expect(calls).toHaveLength(1);
      expect(sleeps).toEqual([]);
    });
  }

  it("retries network resets and reports NetworkError when they persist", async () => {
    const reset = () => {
      throw new TypeError("fetch failed", {
        cause: Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }),
      });
    };
    const { client, calls } = stubClient(reset, { retry: { maxAttempts: 3 } });
    const err = await getOrg(client, { orgId: "o1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).timedOut).toBe(false);
    expect((err as NetworkError).message).toContain("ECONNRESET");
    expect(calls).toHaveLength(3);

    const flaky = stubClient([reset, ok]);
    await expect(getOrg(flaky.client, { orgId: "o1" })).resolves.toMatchObject({ id: "o1" });
  });

  it("times out a hung request (NetworkError.timedOut) and retries it", async () => {
    const hang = (req: unknown, i: number) =>
      i === 0
        ? new Promise<Response>((_, reject) => {
            // the transport aborts via the signal it passed; emulate fetch's reaction
            setTimeout(() => reject(new DOMException("aborted", "AbortError")), 50);
          })
        : ok();
    const { client, calls } = stubClient(hang, { timeoutMs: 10 });
    await expect(getOrg(client, { orgId: "o1" })).resolves.toMatchObject({ id: "o1" });
    expect(calls).toHaveLength(2);

    const always = stubClient(
      () =>
        new Promise<Response>((_, reject) =>
          setTimeout(() => reject(new DOMException("aborted", "AbortError")), 30),
        ),
      { timeoutMs: 5, retry: { maxAttempts: 2 } },
    );
    const err = await getOrg(always.client, { orgId: "o1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).timedOut).toBe(true);
  });

  it("gives up at once when the server asks for a longer wait than allowed", async () => {
    const { client, calls, sleeps } = stubClient(fail(429, { "retry-after": "3600" }), {
      retry: { maxServerWaitMs: 60_000 },
    });
    const err = await getOrg(client, { orgId: "o1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAfterMs).toBe(3_600_000);
    expect(calls).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(client.statsByEndpoint().orgs).toMatchObject({
      rateLimited: 1,
      failures: 1,
      retries: 0,
    });
  });

  it("a 429 that outlasts all attempts is a RateLimitError, never data", async () => {
    const { client, calls } = stubClient(fail(429, { "retry-after": "1" }), {
      retry: { maxAttempts: 3 },
    });
    const err = await getOrg(client, { orgId: "o1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).attempts).toBe(3);
    expect(calls).toHaveLength(3);
  });

  it("stops waiting when the caller aborts, with the caller's reason", async () => {
    const controller = new AbortController();
    const { client } = stubClient(fail(503), {
      sleep: (_ms, signal) =>
        new Promise((_, reject) => {
          controller.abort(new Error("shutdown"));
          reject(signal?.reason as Error);
        }),
    });
    await expect(getOrg(client, { orgId: "o1", signal: controller.signal })).rejects.toThrow(
      "shutdown",
    );
  });

  it("a caller abort during the HTTP call ends it at once, unretried, with the caller's reason", async () => {
    const controller = new AbortController();
    const { client, calls } = stubClient(
      (_req) =>
        new Promise<Response>((_, reject) => {
          controller.abort(new Error("user pressed ctrl-c"));
          reject(new DOMException("aborted", "AbortError"));
        }),
    );
    await expect(getOrg(client, { orgId: "o1", signal: controller.signal })).rejects.toThrow(
      "user pressed ctrl-c",
    );
    expect(calls).toHaveLength(1);
  });

  it("reports every attempt to onRequest without headers", async () => {
    const events: RequestEvent[] = [];
    const { client } = stubClient([fail(429, { "retry-after": "1" }), fail(502), ok], {
      onRequest: (e) => events.push(e),
    });
    await getOrg(client, { orgId: "o1" });
    expect(events.map((e) => [e.attempt, e.status, e.retried, e.rateLimited])).toEqual([
      [1, 429, true, true],
      [2, 502, true, false],
      [3, 200, false, false],
    ]);
    expect(events[0]).toMatchObject({
      endpoint: "orgs",
      method: "GET",
      orgId: "o1",
      error: "rate-limit",
    });
    expect(JSON.stringify(events)).not.toContain(API_KEY);
  });

  it("accepts any 2xx with or without a body on writes", async () => {
    const { client } = stubClient([
      () => new Response(null, { status: 204 }),
      () => text(200, "OK"),
    ]);
    const a = await client.request({
      endpoint: "user-writes",
      orgId: "o1",
      method: "POST",
      path: "/x",
      idempotent: false,
    });
    const b = await client.request({
      endpoint: "user-writes",
      orgId: "o1",
      method: "POST",
      path: "/x",
      idempotent: false,
    });
    expect(a.body).toBeUndefined();
    expect(b.json).toBe(false);
  });
});
