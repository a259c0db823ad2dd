import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import type { RequestEvent } from "../../../src/atlassian/index.ts";
import {
  collectItems,
  createAtlassianClient,
  getOrg,
  searchUserPages,
} from "../../../src/atlassian/index.ts";
import { API_KEY, json, stubClient, text } from "./stub-fetch.ts";

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
