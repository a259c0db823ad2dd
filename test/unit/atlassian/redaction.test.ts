import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import type { RequestEvent } from "../../../src/atlassian/index.ts";
import {
  collectItems,
  createAtlassianClient,
  getOrg,
  searchUserPages,
} from "../../../src/atlassian/index.ts";
import { redactSecrets, redactThenTruncate } from "../../../src/config/redact.ts";
import { API_KEY, json, stubClient, text } from "./stub-fetch.ts";

/** Runs of this many characters of the key count as a leak (stated here, not imported). */
const MIN_SECRET_RUN = 8;

/** The first run of ≥ MIN_SECRET_RUN characters of `key` found in `text`, any letter case. */
function leak(text: string, key: string): string | undefined {
  const t = text.toLowerCase();
  const k = key.toLowerCase();
  for (let i = 0; i + MIN_SECRET_RUN <= k.length; i++) {
    const piece = k.slice(i, i + MIN_SECRET_RUN);
    if (t.includes(piece)) return piece;
  }
  return undefined;
}

const CASES = [API_KEY, API_KEY.toUpperCase(), API_KEY.toLowerCase()];
const filler = (n: number) => "lorem ipsum dolor sit amet ".repeat(Math.ceil(n / 27)).slice(0, n);

/** Everything an error could leak through: message, stack, own props, cause chain, JSON. */
function everything(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur; i++) {
    if (cur instanceof Error) parts.push(cur.message, cur.stack ?? "");
    parts.push(inspect(cur, { depth: 10, showHidden: true }));
    try {
      parts.push(JSON.stringify(cur));
    } catch {
      // ignore
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return parts.join("\n");
}

describe("the API key never leaks", () => {
  it("not from an error body that echoes it (JSON or HTML)", async () => {
    for (const res of [
      () => json(401, { code: 401, message: `Unauthorized: Bearer ${API_KEY} is not valid` }),
      () => json(403, { errors: [{ code: "X", title: "Forbidden", detail: `key ${API_KEY}` }] }),
      () => text(502, `<html><title>proxy saw ${API_KEY}</title></html>`),
    ]) {
      const { client } = stubClient(res, { retry: { maxAttempts: 1 } });
      const e = await getOrg(client, { orgId: "o1" }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(Error);
      const all = everything(e);
      expect(all).not.toContain(API_KEY);
      expect(all).toContain("[REDACTED]");
    }
  });

  it("not from a network error whose message contains it", async () => {
    const { client } = stubClient(
      () => {
        throw new TypeError(`Invalid header value: "Bearer ${API_KEY}"`, {
          cause: new Error(`socket ${API_KEY}`),
        });
      },
      { retry: { maxAttempts: 1 } },
    );
    const e = await getOrg(client, { orgId: "o1" }).catch((x: unknown) => x);
    expect(everything(e)).not.toContain(API_KEY);
  });

  it("not from a schema error over a body that contains it", async () => {
    const { client } = stubClient(() => new Response(`not json ${API_KEY}`, { status: 200 }));
    const e = await collectItems(searchUserPages(client, { orgId: "o1" })).catch((x: unknown) => x);
    expect(everything(e)).not.toContain(API_KEY);
  });

  it("not from the client object, its stats, or request events", async () => {
    const events: RequestEvent[] = [];
    const { client } = stubClient(
      () => json(200, { data: { id: "o1", attributes: { name: "n" } } }),
      {
        onRequest: (ev) => events.push(ev),
      },
    );
    await getOrg(client, { orgId: "o1" });
    expect(inspect(client, { depth: 10, showHidden: true })).not.toContain(API_KEY);
    expect(JSON.stringify(client)).not.toContain(API_KEY);
    expect(JSON.stringify(client.stats())).not.toContain(API_KEY);
    expect(JSON.stringify(events)).not.toContain(API_KEY);
  });

  it("not from the constructor's complaint about a missing key", () => {
    expect(() => createAtlassianClient({ apiKey: "  " })).toThrow(/apiKey is required/);
  });
});

describe("redaction before truncation", () => {
  it("redactSecrets: the key at every offset of a long body, in any letter case, leaves no run of 8 of its characters", () => {
    for (const echoed of CASES) {
      for (let offset = 0; offset <= 300; offset++) {
        const body = `${filler(offset)}${echoed}${filler(200)}`;
        const clean = redactSecrets(body, [API_KEY]);
        expect(leak(clean, API_KEY), `offset ${offset}`).toBeUndefined();
        expect(clean).toContain("[REDACTED]");
      }
    }
  });

  it("redactSecrets: a piece of the key (≥ 8 characters), wherever it was cut, is redacted; shorter pieces are left", () => {
    for (let from = 0; from + MIN_SECRET_RUN <= API_KEY.length; from++) {
      for (let to = from + MIN_SECRET_RUN; to <= API_KEY.length; to++) {
        const piece = API_KEY.slice(from, to);
        expect(leak(redactSecrets(`x ${piece} y`, [API_KEY]), API_KEY), piece).toBeUndefined();
      }
    }
    const short = API_KEY.slice(3, 3 + MIN_SECRET_RUN - 1);
    expect(redactSecrets(`x ${short} y`, [API_KEY])).toBe(`x ${short} y`);
  });

  it("redactSecrets: Bearer tokens (any key, any case) and a short secret as a whole", () => {
    expect(redactSecrets("Authorization: bearer abc.def-ghi", [API_KEY])).toBe(
      "Authorization: Bearer [REDACTED]",
    );
    expect(redactSecrets("pw=hunter2!", ["hunter2"])).toBe("pw=[REDACTED]!");
    expect(redactSecrets("nothing here", [""])).toBe("nothing here");
  });

  it("redactThenTruncate: cut at every boundary, never a piece of the key", () => {
    for (const echoed of CASES) {
      for (let offset = 0; offset <= 120; offset += 7) {
        const body = `${filler(offset)}${echoed}${filler(50)}${echoed}`;
        for (let max = 0; max <= body.length + 5; max++) {
          const quoted = redactThenTruncate(body, max, (t) => redactSecrets(t, [API_KEY]));
          expect(quoted.length).toBeLessThanOrEqual(max);
          expect(leak(quoted, API_KEY), `offset ${offset}, cut at ${max}`).toBeUndefined();
        }
      }
    }
  });

  it("a non-JSON 2xx body echoing the key at every offset around the 80-character quote never leaks it", async () => {
    for (const echoed of CASES) {
      for (let offset = 40; offset <= 100; offset++) {
        const { client } = stubClient(
          () => new Response(`${filler(offset)}${echoed} trailing`, { status: 200 }),
        );
        const e = await getOrg(client, { orgId: "o1" }).catch((x: unknown) => x);
        expect(e).toBeInstanceOf(Error);
        expect(leak(everything(e), API_KEY), `offset ${offset}`).toBeUndefined();
      }
    }
  });

  it("an error body echoing the key in another case, or cut at the 500-character snippet, never leaks it", async () => {
    for (const offset of [0, 180, 195, 480, 490, 495, 499]) {
      for (const echoed of CASES) {
        const { client } = stubClient(
          () => text(502, `<html><body>${filler(offset)}${echoed}</body></html>`),
          { retry: { maxAttempts: 1 } },
        );
        const e = await getOrg(client, { orgId: "o1" }).catch((x: unknown) => x);
        expect(leak(everything(e), API_KEY), `offset ${offset}`).toBeUndefined();
      }
      const { client } = stubClient(
        () => json(401, { code: 401, message: `${filler(offset)}${API_KEY.toLowerCase()}` }),
        { retry: { maxAttempts: 1 } },
      );
      const e = await getOrg(client, { orgId: "o1" }).catch((x: unknown) => x);
      expect(leak(everything(e), API_KEY), `json offset ${offset}`).toBeUndefined();
    }
  });

  it("a schema error quoting a field value, a rejected record and a next link never leak it", async () => {
    const lowered = API_KEY.toLowerCase();
    const { client } = stubClient(() =>
      json(200, {
        data: [
          { accountId: "ok" },
          { accountId: `id-${lowered}`, addedToOrg: `${filler(30)}${lowered}` },
        ],
        links: { next: `https://api.example.test/elsewhere?x=${filler(100)}${API_KEY}` },
      }),
    );
    const walk = searchUserPages(client, { orgId: "o1" });
    const e = await collectItems(walk).catch((x: unknown) => x);
    expect(leak(everything(e), API_KEY)).toBeUndefined();
    const { client: c2 } = stubClient(() =>
      json(200, { data: [{ accountId: "a" }, { accountId: `id-${lowered}`, name: 5 }] }),
    );
    for await (const page of searchUserPages(c2, { orgId: "o1" })) {
      expect(leak(JSON.stringify(page.rejected), API_KEY)).toBeUndefined();
      expect(page.rejected).toHaveLength(1);
    }
  });
});
