import type { IncomingMessage, ServerResponse } from "node:http";
import { adminErrors, applicationError, htmlError, proxyError, umError } from "../errors.ts";
import type { SimResponse } from "../errors.ts";
import type { Faults } from "../faults.ts";
import type { ResolvedOptions } from "../options.ts";
import type { OrgState } from "../org-state.ts";
import type { RateDecision, RateLimiter } from "../rate-limiter.ts";
import type { SimStats } from "../stats.ts";
import { matchRoute } from "./route.ts";
import type { ApiFamily, CompiledRoute } from "./route.ts";

/** What the request handler needs; built once by `startSimulator`. */
export interface HandlerDeps {
  routes: CompiledRoute[];
  orgsByKey: ReadonlyMap<string, OrgState>;
  options: ResolvedOptions;
  limiter: RateLimiter;
  stats: SimStats;
  faults: () => Faults;
  baseUrl: () => string;
}

const MAX_BODY = 1_000_000;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error("request body too large"));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
    // A client that went away before its body was read never sends the rest: the request ends
    // here (after a normal "end" this rejection is ignored, the promise has settled).
    const gone = () => reject(new Error("the client went away before its request body was read"));
    if (req.destroyed) gone();
    else req.on("close", gone);
  });
}

const MINUTE = 60_000;

/** `X-RateLimit-Reset`: full ISO, or the observed minute-precision form rounded up (§5). */
function resetHeader(resetAt: number, format: "iso" | "minute"): string {
  if (format === "iso") return new Date(resetAt).toISOString();
  return `${new Date(Math.ceil(resetAt / MINUTE) * MINUTE).toISOString().slice(0, 16)}Z`;
}

function rateHeaders(d: RateDecision, format: "iso" | "minute"): Record<string, string> {
  return {
    "X-RateLimit-Limit": String(d.limit),
    "X-RateLimit-Remaining": String(d.remaining),
    "X-RateLimit-Reset": resetHeader(d.resetAt, format),
  };
}

function unauthorized(family: ApiFamily, message: string): SimResponse {
  return family === "user-management" ? umError(401, "unauthorized") : proxyError(401, message);
}

/** A service error in the route family's shape (used for injected faults and bad bodies). */
function familyError(family: ApiFamily, status: number, code: string, detail: string): SimResponse {
  if (status === 502 || status === 503 || status === 504) {
    const text =
      status === 502 ? "Bad Gateway" : status === 503 ? "Service Unavailable" : "Gateway Timeout";
    return proxyError(status, text);
  }
  switch (family) {
    case "workspaces":
      return applicationError(status, code, "Error", detail);
    case "user-management":
      return status === 400 ? umError(400, "bodyParseFailure") : proxyError(status, detail);
    default:
      return adminErrors(
        status,
        code,
        status === 400 ? "Bad Request" : "Internal Server Error",
        detail,
      );
  }
}

function send(res: ServerResponse, r: SimResponse, extra: Record<string, string>): void {
  const headers: Record<string, string> = { ...extra, ...r.headers };
  if (r.status === 204 || r.body === undefined) {
    res.writeHead(r.status, headers);
    res.end();
    return;
  }
  const isHtml = typeof r.body === "string";
  const payload = isHtml ? (r.body as string) : JSON.stringify(r.body);
  headers["Content-Type"] = isHtml ? "text/html; charset=utf-8" : "application/json; charset=utf-8";
  res.writeHead(r.status, headers);
  res.end(payload);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Handles one request: route, auth, rate limit, faults, handler, headers. Never throws. */
export async function handleRequest(
  deps: HandlerDeps,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  deps.stats.inFlight++;
  try {
    await answer(deps, req, res);
  } finally {
    deps.stats.inFlight--;
  }
}

async function answer(deps: HandlerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { stats, options } = deps;
  stats.total++;
  const now = options.clock();
  const anonymous = deps.limiter.peek("anonymous", "default", now);
  try {
    const url = new URL(req.url ?? "/", "http://simulator.local");
    const match = matchRoute(deps.routes, req.method ?? "GET", url.pathname);
    if (!match.route) {
      const r = match.pathKnown
        ? proxyError(405, "Method Not Allowed")
        : proxyError(404, "Not Found");
      send(res, r, rateHeaders(anonymous, options.rateLimitResetFormat));
      return;
    }
    const { route, params } = match;

    const auth = req.headers.authorization ?? "";
    const bearer = /^Bearer\s+(.+)$/i.exec(auth)?.[1]?.trim();
    const state = bearer ? deps.orgsByKey.get(bearer) : undefined;
    if (!state) {
      stats.unauthorized++;
      const msg = /^Basic\s/i.test(auth)
        ? "Unauthorized; Basic authentication is not supported, use an organization API key as Bearer"
        : "Unauthorized";
      send(
        res,
        unauthorized(route.family, msg),
        rateHeaders(anonymous, options.rateLimitResetFormat),
      );
      return;
    }
    stats.byRoute[route.name] = (stats.byRoute[route.name] ?? 0) + 1;
    const faults = deps.faults();
    for (const accountId of faults.countRequest()) {
      for (const org of deps.orgsByKey.values()) org.deleteUser(accountId);
    }

    const decision = deps.limiter.take(state.org.id, route.rateClass, now);
    const headers = rateHeaders(decision, options.rateLimitResetFormat);
    if (!decision.allowed) {
      stats.rateLimited++;
      if (options.retryAfterHeader) {
        headers["Retry-After"] = String(Math.max(1, Math.ceil((decision.resetAt - now) / 1000)));
      }
      send(res, faults.html ? htmlError(429) : proxyError(429, "Rate limit exceeded"), headers);
      return;
    }
    stats.byRateClass[route.rateClass]++;

    const delay = faults.latency();
    if (delay > 0) await sleep(delay);

    const stall = faults.stall(route.name);
    if (stall) {
      // Never answered: the socket stays open until the client gives up or the server closes.
      stats.faults++;
      stats.stalls++;
      if (stall === "partial-body") {
        res.writeHead(200, { ...headers, "Content-Type": "application/json; charset=utf-8" });
        res.write('{"data":[');
      }
      return;
    }

    let raw = "";
    if (req.method === "POST" || req.method === "PUT" || req.method === "PATCH")
      raw = await readBody(req);
    let body: unknown;
    if (raw.trim() !== "") {
      try {
        body = JSON.parse(raw);
      } catch {
        send(
          res,
          familyError(route.family, 400, "ADMIN-400-24", "The request body is not valid JSON."),
          headers,
        );
        return;
      }
    }

    const failStatus = faults.randomError(route.name);
    const userParam = params.accountId ?? params.userId;
    const failsUser = route.readsOneUser === true && faults.failsUser(userParam);
    if (failStatus !== undefined || failsUser) {
      stats.faults++;
      const status = failStatus ?? 500;
      const r = faults.html
        ? htmlError(status)
        : familyError(
            route.family,
            status,
            route.internalErrorCode ?? "ADMIN-500-1",
            "An internal error occurred. Try again later.",
          );
      send(res, r, headers);
      return;
    }
    const hasCursor =
      url.searchParams.has("cursor") ||
      (typeof body === "object" &&
        body !== null &&
        typeof (body as { cursor?: unknown }).cursor === "string");
    if (hasCursor && faults.staleCursor()) {
      stats.faults++;
      const r =
        route.family === "workspaces"
          ? applicationError(400, "ADMIN-400-1", "Bad Request", "Invalid page cursor.")
          : adminErrors(
              400,
              "ADMIN-400-1",
              "Invalid page cursor",
              "The cursor has expired; restart pagination.",
            );
      send(res, r, headers);
      return;
    }

    if (params.orgId !== undefined && params.orgId !== state.org.id) {
      const r =
        route.family === "workspaces"
          ? applicationError(404, "ADMIN-404-2", "Not Found", "Organization not found.")
          : adminErrors(
              404,
              "ADMIN-404-2",
              "Not Found",
              `Organization ${params.orgId} was not found.`,
            );
      send(res, r, headers);
      return;
    }

    state.tick(now);
    const result = route.handle({
      state,
      params,
      query: url.searchParams,
      body,
      now,
      baseUrl: deps.baseUrl(),
      options,
      write: {
        now,
        lagMs: faults.lagMs,
        delayMs: faults.writeDelayMs,
        request: { route: route.name, method: route.method, path: url.pathname },
      },
      faults,
    });
    const out = faults.html && result.status >= 500 ? htmlError(result.status) : result;
    send(res, out, headers);
  } catch (err) {
    const r = adminErrors(
      500,
      "ADMIN-500-1",
      "Internal Server Error",
      err instanceof Error ? err.message : String(err),
    );
    if (!res.headersSent) send(res, r, rateHeaders(anonymous, options.rateLimitResetFormat));
    else res.end();
  }
}
