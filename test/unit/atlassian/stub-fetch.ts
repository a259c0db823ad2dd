import type { AtlassianClientOptions } from "../../../src/atlassian/index.ts";
import { createAtlassianClient } from "../../../src/atlassian/index.ts";

/** A request as the stub saw it. */
export interface SeenRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: unknown;
}

export type Handler = (req: SeenRequest, index: number) => Response | Promise<Response>;

export const API_KEY = "sk-test-SECRET-KEY-0123456789abcdef";

export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

export function empty(status = 204, headers: Record<string, string> = {}): Response {
  return new Response(null, { status, headers });
}

export function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "content-type": "text/html", ...headers } });
}

/**
 * A fetch stub answering from a queue of handlers (one per call, the last one repeats) and a
 * fake clock whose sleep advances time instantly and records each wait.
 */
export function stubClient(
  handlers: Handler | Handler[],
  opts: Partial<AtlassianClientOptions> = {},
): {
  client: ReturnType<typeof createAtlassianClient>;
  calls: SeenRequest[];
  sleeps: number[];
  clock: { now: number };
} {
  const list = Array.isArray(handlers) ? handlers : [handlers];
  const calls: SeenRequest[] = [];
  const sleeps: number[] = [];
  const clock = { now: Date.UTC(2026, 10, 28, 12, 0, 0) };
  const fetchStub = async (
    input: string | URL | Request,
    init?: RequestInit,
  ): Promise<Response> => {
    const url = new URL(
      typeof input === "string" ? input : input instanceof URL ? input.href : input.url,
    );
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => {
      headers[k] = v;
    });
    const body = typeof init?.body === "string" ? (JSON.parse(init.body) as unknown) : undefined;
    const req = { method: init?.method ?? "GET", url, headers, body };
    calls.push(req);
    const i = calls.length - 1;
    const h = list[Math.min(i, list.length - 1)];
    if (!h) throw new Error("no handler");
    return h(req, i);
  };
  const client = createAtlassianClient({
    apiKey: API_KEY,
    baseUrl: "https://api.example.test",
    fetch: fetchStub,
    now: () => clock.now,
    sleep: (ms) => {
      sleeps.push(ms);
      clock.now += ms;
      return Promise.resolve();
    },
    random: () => 0.5,
    rateLimits: {
      defaultPerMinute: 6_000_000,
      lastActivePerMinute: 6_000_000,
      eventsPerMinute: 6_000_000,
    },
    ...opts,
  });
  return { client, calls, sleeps, clock };
}
