import type { Now, Sleep } from "./clock.ts";
import { abortReason, systemNow, systemSleep } from "./clock.ts";
import type { EndpointClass } from "./endpoint-classes.ts";
import { DOCUMENTED_LIMITS_PER_MINUTE, ENDPOINT_CLASSES } from "./endpoint-classes.ts";
import { errorFromResponse, parseErrorBody } from "./error-mapping.ts";
import type { AtlassianApiError, ErrorKind } from "./errors.ts";
import { NetworkError, SchemaError } from "./errors.ts";
import { readRateLimitInfo, serverRequestedWaitMs } from "./rate-limit-headers.ts";
import { RateLimiter } from "./rate-limiter.ts";

export const DEFAULT_BASE_URL = "https://api.atlassian.com";
const DEFAULT_USER_AGENT = "reclaim-atlassian-client/0.1 (+https://github.com/reclaim)";

/** One HTTP attempt, reported through `onRequest`. Never carries headers or the key. */
export interface RequestEvent {
  endpoint: EndpointClass;
  orgId: string | undefined;
  method: string;
  /** HTTP status, or undefined for a network failure/timeout. */
  status: number | undefined;
  /** 1 for the first attempt, 2 for the first retry … */
  attempt: number;
  durationMs: number;
  /** This attempt failed and the client will try again. */
  retried: boolean;
  rateLimited: boolean;
  /** Error kind when the attempt failed. */
  error?: ErrorKind | undefined;
}

export interface AtlassianClientOptions {
  /** Organization API key (Bearer). Create it without scopes. Never logged. */
  apiKey: string;
  /** Default `https://api.atlassian.com` (env `ATLASSIAN_API_URL`). Paths add `/admin/…` themselves. */
  baseUrl?: string;
  fetch?: typeof fetch;
  userAgent?: string;
  /** Per attempt, including reading the body. Default 30 000 ms. */
  timeoutMs?: number;
  /**
   * Largest response body read, in bytes; a larger one is refused (not retried) rather than
   * buffered. Real pages are tens of kilobytes. Default 32 MiB.
   */
  maxResponseBytes?: number;
  /** Max in-flight requests per (org, endpoint class). Default 8. */
  maxConcurrency?: number;
  rateLimits?: {
    /** last-active-dates ceiling per org, requests/minute. Default 200 (documented). */
    lastActivePerMinute?: number;
    /** events ceiling, requests/minute. Default 10 (documented since May 2025). */
    eventsPerMinute?: number;
    /** Everything without a published limit. Default 1000/minute. */
    defaultPerMinute?: number;
    /** Per-class overrides, requests/minute. */
    perEndpoint?: Partial<Record<EndpointClass, number>>;
    /** Fraction of each ceiling to pace at; headroom absorbs jitter. Default 0.97. */
    targetUtilisation?: number;
  };
  retry?: {
    /** Total attempts for transient failures (429, 502/503/504, network, timeouts). Default 6. Nothing else is retried. */
    maxAttempts?: number;
    /** First backoff step; doubles per attempt, with jitter. Default 1000 ms. */
    baseDelayMs?: number;
    /** Cap of one exponential backoff step. Default 30 000 ms. */
    maxDelayMs?: number;
    /** Longest server-requested wait (Retry-After / reset) we honour before giving up. Default 180 000 ms. */
    maxServerWaitMs?: number;
  };
  now?: Now;
  sleep?: Sleep;
  /** Random source for jitter, [0, 1). */
  random?: () => number;
  onRequest?: (e: RequestEvent) => void;
}

export type QueryValue = string | number | boolean | readonly string[] | undefined;

export interface RequestSpec {
  endpoint: EndpointClass;
  /** Rate-limiter key; undefined for user-management calls that carry no org. */
  orgId: string | undefined;
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path below the base URL, already encoded (use `path\`\`` from http.ts). */
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  signal?: AbortSignal | undefined;
}

export interface ApiResponse {
  status: number;
  /** Parsed JSON, or undefined for an empty body. Non-JSON 2xx bodies are kept in `text` only. */
  body: unknown;
  text: string;
  /** `METHOD /path` for messages. */
  request: string;
  json: boolean;
}

export interface EndpointStats {
  /** HTTP attempts sent (retries included). */
  requests: number;
  /** 429 responses received. */
  rateLimited: number;
  /** Attempts that were retries of a failed attempt. */
  retries: number;
  /** Calls that ended in an error after all retries. */
  failures: number;
}

/** Statistics of one (org, endpoint class), with the state of the budget that paces it. */
export interface LimiterStats extends EndpointStats {
  orgId: string;
  endpoint: EndpointClass;
  /** The pacing budget: the class itself when it has its own limit, else `default`. */
  budget: string;
  /** The budget's ceiling, requests per minute. */
  limitPerMinute: number;
  /** In flight in the budget. */
  inFlight: number;
  /** The budget's current pace as a fraction of its target (drops after 429s). */
  pace: number;
}

export interface AtlassianClient {
  readonly baseUrl: string;
  /** Low-level call with auth, pacing, retries and error mapping. Throws typed errors for non-2xx. */
  request(spec: RequestSpec): Promise<ApiResponse>;
  /** Per (org, endpoint class) statistics. */
  stats(): LimiterStats[];
  /** Statistics summed over orgs, per endpoint class. */
  statsByEndpoint(): Partial<Record<EndpointClass, EndpointStats>>;
  /** Scrubs the API key (and any Bearer token) out of a string. */
  redact(text: string): string;
}

interface Config {
  baseUrl: string;
  fetch: typeof fetch;
  userAgent: string;
  timeoutMs: number;
  maxResponseBytes: number;
  maxConcurrency: number;
  limits: Record<EndpointClass, number>;
  /** Classes with a limit of their own; the rest share one `default` budget per org. */
  ownBudget: ReadonlySet<EndpointClass>;
  targetUtilisation: number;
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxServerWaitMs: number;
  now: Now;
  sleep: Sleep;
  random: () => number;
  onRequest: ((e: RequestEvent) => void) | undefined;
}

export function createAtlassianClient(opts: AtlassianClientOptions): AtlassianClient {
  return new HttpAtlassianClient(opts);
}

class HttpAtlassianClient implements AtlassianClient {
  // A private field: not enumerable, not shown by util.inspect or JSON.stringify.
  readonly #apiKey: string;
  readonly #cfg: Config;
  readonly #limiters = new Map<string, RateLimiter>();
  readonly #counters = new Map<
    string,
    { orgId: string; endpoint: EndpointClass } & EndpointStats
  >();
  readonly baseUrl: string;

  constructor(opts: AtlassianClientOptions) {
    if (typeof opts.apiKey !== "string" || opts.apiKey.trim() === "") {
      throw new TypeError(
        "createAtlassianClient: apiKey is required (an organization API key from admin.atlassian.com → Settings → API keys).",
      );
    }
    this.#apiKey = opts.apiKey.trim();
    const rl = opts.rateLimits ?? {};
    const limits = {} as Record<EndpointClass, number>;
    for (const c of ENDPOINT_CLASSES) {
      limits[c] =
        rl.perEndpoint?.[c] ?? DOCUMENTED_LIMITS_PER_MINUTE[c] ?? rl.defaultPerMinute ?? 1000;
    }
    if (
      rl.lastActivePerMinute !== undefined &&
      rl.perEndpoint?.["last-active-dates"] === undefined
    ) {
      limits["last-active-dates"] = rl.lastActivePerMinute;
    }
    if (rl.eventsPerMinute !== undefined && rl.perEndpoint?.events === undefined) {
      limits.events = rl.eventsPerMinute;
    }
    const ownBudget = new Set<EndpointClass>(
      ENDPOINT_CLASSES.filter(
        (c) => DOCUMENTED_LIMITS_PER_MINUTE[c] !== undefined || rl.perEndpoint?.[c] !== undefined,
      ),
    );
    for (const [c, n] of Object.entries(limits)) {
      if (!(n > 0)) throw new TypeError(`createAtlassianClient: rate limit for ${c} must be > 0`);
    }
    this.baseUrl = (opts.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
    this.#cfg = {
      baseUrl: this.baseUrl,
      fetch: opts.fetch ?? globalThis.fetch.bind(globalThis),
      userAgent: opts.userAgent ?? DEFAULT_USER_AGENT,
      timeoutMs: opts.timeoutMs ?? 30_000,
      maxResponseBytes: opts.maxResponseBytes ?? 32 * 1024 * 1024,
      maxConcurrency: Math.max(1, opts.maxConcurrency ?? 8),
      limits,
      ownBudget,
      targetUtilisation: Math.min(1, Math.max(0.1, rl.targetUtilisation ?? 0.97)),
      maxAttempts: Math.max(1, opts.retry?.maxAttempts ?? 6),
      baseDelayMs: opts.retry?.baseDelayMs ?? 1000,
      maxDelayMs: opts.retry?.maxDelayMs ?? 30_000,
      maxServerWaitMs: opts.retry?.maxServerWaitMs ?? 180_000,
      now: opts.now ?? systemNow,
      sleep: opts.sleep ?? systemSleep,
      random: opts.random ?? Math.random,
      onRequest: opts.onRequest,
    };
  }

  redact(text: string): string {
    return text
      .split(this.#apiKey)
      .join("[REDACTED]")
      .replace(/Bearer\s+[^\s"',;]+/gi, "Bearer [REDACTED]");
  }

  stats(): LimiterStats[] {
    return [...this.#counters.values()].map((c) => {
      const budget = this.#budgetOf(c.endpoint);
      const b = this.#limiters.get(`${c.orgId}\u0000${budget}`)?.stats();
      return {
        ...c,
        budget,
        limitPerMinute: b?.limitPerMinute ?? this.#cfg.limits[c.endpoint],
        inFlight: b?.inFlight ?? 0,
        pace: b?.pace ?? 1,
      };
    });
  }

  statsByEndpoint(): Partial<Record<EndpointClass, EndpointStats>> {
    const out: Partial<Record<EndpointClass, EndpointStats>> = {};
    for (const s of this.#counters.values()) {
      const agg = (out[s.endpoint] ??= { requests: 0, rateLimited: 0, retries: 0, failures: 0 });
      agg.requests += s.requests;
      agg.rateLimited += s.rateLimited;
      agg.retries += s.retries;
      agg.failures += s.failures;
    }
    return out;
  }

  /**
   * Classes without a published limit share one budget per org: the server counts them
   * together ("everything else"), so pacing them separately would overrun it.
   */
  #budgetOf(endpoint: EndpointClass): string {
    return this.#cfg.ownBudget.has(endpoint) ? endpoint : "default";
  }

  #limiter(orgId: string | undefined, endpoint: EndpointClass): RateLimiter {
    const org = orgId ?? "-";
    const budget = this.#budgetOf(endpoint);
    const key = `${org}\u0000${budget}`;
    let l = this.#limiters.get(key);
    if (!l) {
      l = new RateLimiter({
        limitPerMinute: this.#cfg.limits[endpoint],
        maxConcurrency: this.#cfg.maxConcurrency,
        targetUtilisation: this.#cfg.targetUtilisation,
        now: this.#cfg.now,
        sleep: this.#cfg.sleep,
      });
      this.#limiters.set(key, l);
    }
    return l;
  }

  #counter(orgId: string | undefined, endpoint: EndpointClass): EndpointStats {
    const org = orgId ?? "-";
    const key = `${org}\u0000${endpoint}`;
    let c = this.#counters.get(key);
    if (!c) {
      c = { orgId: org, endpoint, requests: 0, rateLimited: 0, retries: 0, failures: 0 };
      this.#counters.set(key, c);
    }
    return c;
  }

  #url(spec: RequestSpec): string {
    const url = new URL(this.#cfg.baseUrl + spec.path);
    for (const [k, v] of Object.entries(spec.query ?? {})) {
      if (v === undefined) continue;
      if (Array.isArray(v))
        for (const item of v as readonly string[]) url.searchParams.append(k, item);
      else url.searchParams.set(k, String(v));
    }
    return url.toString();
  }

  #backoff(attempt: number): number {
    const step = Math.min(this.#cfg.maxDelayMs, this.#cfg.baseDelayMs * 2 ** (attempt - 1));
    return step / 2 + this.#cfg.random() * (step / 2); // "equal jitter"
  }

  async request(spec: RequestSpec): Promise<ApiResponse> {
    const cfg = this.#cfg;
    const limiter = this.#limiter(spec.orgId, spec.endpoint);
    const counter = this.#counter(spec.orgId, spec.endpoint);
    const request = `${spec.method} ${spec.path}`;
    const url = this.#url(spec);
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.#apiKey}`,
      Accept: "application/json",
      "User-Agent": cfg.userAgent,
    };
    let payload: string | undefined;
    if (spec.body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(spec.body);
    }
    const scrub = (s: string): string => this.redact(s);

    for (let attempt = 1; ; attempt++) {
      const release = await limiter.acquire(spec.signal);
      counter.requests++;
      const started = cfg.now();
      // One controller per attempt, aborted by the timeout or the caller's signal. (Not
      // AbortSignal.any: it would pile listeners onto a long-lived caller signal.)
      const attemptCtl = new AbortController();
      let timedOutFlag = false;
      const timer = setTimeout(() => {
        timedOutFlag = true;
        attemptCtl.abort();
      }, cfg.timeoutMs);
      const onCallerAbort = (): void => attemptCtl.abort();
      spec.signal?.addEventListener("abort", onCallerAbort, { once: true });
      const signal = attemptCtl.signal;
      let status: number | undefined;
      let text = "";
      let resHeaders: Headers | undefined;
      let failure: AtlassianApiError | undefined;
      try {
        // Redirects are never followed: the key would travel with them, and the API has none.
        const res = await cfg.fetch(url, {
          method: spec.method,
          headers,
          body: payload,
          signal,
          redirect: "manual",
        });
        status = res.status;
        resHeaders = res.headers;
        text = await readLimitedText(res, cfg.maxResponseBytes);
      } catch (err) {
        // the caller gave up: not an API failure, not retried
        if (spec.signal?.aborted) throw abortReason(spec.signal);
        const timedOut = timedOutFlag;
        failure =
          err instanceof ResponseTooLarge
            ? new SchemaError(
                `${request} answered with a body over ${cfg.maxResponseBytes} bytes; Reclaim refused to read it. Check ATLASSIAN_API_URL points at the Atlassian API.`,
                { endpoint: spec.endpoint, request, status, attempts: attempt, retryable: false },
              )
            : networkError(err, {
                request,
                endpoint: spec.endpoint,
                timedOut,
                attempts: attempt,
                scrub,
                timeoutMs: cfg.timeoutMs,
              });
      } finally {
        clearTimeout(timer);
        spec.signal?.removeEventListener("abort", onCallerAbort);
        release();
      }
      const now = cfg.now();
      const info = resHeaders ? readRateLimitInfo(resHeaders, now) : undefined;
      limiter.observe(status, info?.remaining, info?.resetAt);

      if (failure === undefined && status !== undefined && status >= 200 && status < 300) {
        this.#emit(spec, status, attempt, now - started, false, undefined);
        return parseSuccess(status, text, request);
      }

      let retryAfterMs: number | undefined;
      if (failure === undefined && status !== undefined) {
        retryAfterMs = status === 429 && info ? serverRequestedWaitMs(info, now) : undefined;
        failure = errorFromResponse({
          endpoint: spec.endpoint,
          request,
          status,
          body: parseErrorBody(text, scrub),
          retryAfterMs,
          attempts: attempt,
        });
      }
      const err = failure as AtlassianApiError;
      let delay: number | undefined;
      if (status === 429) {
        counter.rateLimited++;
        const wait = retryAfterMs ?? this.#backoff(attempt);
        // every caller of this (org, class) holds off, not just this one
        limiter.rateLimited(Math.min(wait, cfg.maxServerWaitMs));
        if (err.retryable && attempt < cfg.maxAttempts && wait <= cfg.maxServerWaitMs) {
          // spread the herd a little so callers don't all hit the reset at once
          delay = wait + cfg.random() * Math.min(1000, wait * 0.1 + 50);
        }
      } else if (err.retryable && attempt < cfg.maxAttempts) {
        // a 503 may say when to come back; otherwise back off exponentially
        const hinted = info?.retryAfterMs;
        delay =
          hinted !== undefined && hinted <= cfg.maxServerWaitMs ? hinted : this.#backoff(attempt);
      }
      this.#emit(spec, status, attempt, now - started, delay !== undefined, err.kind);
      if (delay === undefined) {
        counter.failures++;
        throw err;
      }
      counter.retries++;
      await cfg.sleep(delay, spec.signal);
    }
  }

  #emit(
    spec: RequestSpec,
    status: number | undefined,
    attempt: number,
    durationMs: number,
    retried: boolean,
    error: ErrorKind | undefined,
  ): void {
    const cb = this.#cfg.onRequest;
    if (!cb) return;
    try {
      cb({
        endpoint: spec.endpoint,
        orgId: spec.orgId,
        method: spec.method,
        status,
        attempt,
        durationMs,
        retried,
        rateLimited: status === 429,
        error,
      });
    } catch {
      // an observer must never break a request
    }
  }
}

class ResponseTooLarge extends Error {}

/** Reads the body as UTF-8 text, refusing (and cancelling) one longer than `maxBytes`. */
async function readLimitedText(res: Response, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new ResponseTooLarge();
  }
  if (res.body === null) return "";
  const reader: ReadableStreamDefaultReader<Uint8Array> = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new ResponseTooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseSuccess(status: number, text: string, request: string): ApiResponse {
  if (text.trim() === "") return { status, body: undefined, text, request, json: false };
  try {
    return { status, body: JSON.parse(text) as unknown, text, request, json: true };
  } catch {
    return { status, body: undefined, text, request, json: false };
  }
}

function networkError(
  err: unknown,
  ctx: {
    request: string;
    endpoint: EndpointClass;
    timedOut: boolean;
    attempts: number;
    scrub: (s: string) => string;
    timeoutMs: number;
  },
): NetworkError {
  // Keep only a scrubbed description of the low-level error, never the object itself.
  const e = err as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    cause?: { code?: unknown; message?: unknown };
  };
  const code =
    typeof e?.cause?.code === "string"
      ? e.cause.code
      : typeof e?.code === "string"
        ? e.code
        : undefined;
  const detail = ctx.scrub(
    [
      typeof e?.message === "string" ? e.message : String(err),
      typeof e?.cause?.message === "string" ? e.cause.message : undefined,
      code,
    ]
      .filter(Boolean)
      .join(" — "),
  );
  const cause = new Error(detail);
  const message = ctx.timedOut
    ? `${ctx.request} timed out after ${ctx.timeoutMs} ms (attempt ${ctx.attempts}). The API is slow or unreachable; check ATLASSIAN_API_URL and the network, or raise timeoutMs.`
    : `${ctx.request} failed before any HTTP response (${detail}). Check the network and ATLASSIAN_API_URL.`;
  return new NetworkError(message, {
    endpoint: ctx.endpoint,
    request: ctx.request,
    timedOut: ctx.timedOut,
    attempts: ctx.attempts,
    retryable: true,
    cause,
  });
}
