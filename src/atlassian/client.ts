import { redactSecrets } from "../config/redact.ts";
import type { Now, Sleep } from "./clock.ts";
import { abortReason, systemNow, systemSleep } from "./clock.ts";
import type { EndpointClass } from "./endpoint-classes.ts";
import { DOCUMENTED_LIMITS_PER_MINUTE, ENDPOINT_CLASSES } from "./endpoint-classes.ts";
import { errorFromResponse, parseErrorBody } from "./error-mapping.ts";
import type { AtlassianApiError, ErrorKind } from "./errors.ts";
import { DeadlineError, NetworkError, RateLimitError, SchemaError } from "./errors.ts";
import { readRateLimitInfo, serverRequestedWaitMs } from "./rate-limit-headers.ts";
import { LimiterRefusal, RateLimiter } from "./rate-limiter.ts";

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
  /**
   * Most attempts this request may make for what this attempt met: `retry.maxAttempts`, or
   * `retry.serverErrorAttempts` after a 500. With `attempt` it reads "retry 3/6".
   */
  maxAttempts: number;
  durationMs: number;
  /** This attempt failed and the client will try again. */
  retried: boolean;
  /** When `retried`: how long the client waits before the next attempt, ms (jitter included). */
  retryInMs?: number | undefined;
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
    /** Total attempts for transient failures (429, 502/503/504, network, timeouts). Default 6. */
    maxAttempts?: number;
    /**
     * Total attempts when an idempotent request (every GET, and the POST searches) meets an
     * HTTP 500 (the API's own 500 body says "try again later"). Default 3. Writes are never
     * retried after a 500: it may have happened.
     */
    serverErrorAttempts?: number;
    /** First backoff step; doubles per attempt, with jitter. Default 1000 ms. */
    baseDelayMs?: number;
    /** Cap of one exponential backoff step. Default 30 000 ms. */
    maxDelayMs?: number;
    /**
     * Longest server-ordered wait (Retry-After / reset) honoured when there is no deadline.
     * A longer one fails at once with `RateLimitError` (`stopRun: true`): nobody waits and
     * then fails. With a deadline, every wait that ends before it is honoured instead.
     * Default 180 000 ms.
     */
    maxServerWaitMs?: number;
  };
  /**
   * Epoch ms on this client's clock (`now`) by which every call must be done (e.g. the end of
   * the crawl's window). A server-ordered wait that ends before it is honoured, however long;
   * a wait that would end after it is never started: the call fails at once with
   * `RateLimitError` or `DeadlineError` (`stopRun: true`). A request may set an earlier one.
   */
  deadlineAt?: number;
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
  /**
   * The request may be repeated without changing anything beyond the first time: every GET and
   * the POST searches. Only idempotent requests are retried after an HTTP 500. Writes say
   * `false` unless the API defines them idempotent (none does today).
   */
  idempotent: boolean;
  /** Aborting it cancels the request at once, whether queued, backing off or in flight. */
  signal?: AbortSignal | undefined;
  /** This request's deadline (epoch ms, client clock); the earlier of it and the client's applies. */
  deadlineAt?: number | undefined;
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
  /** Callers of the budget waiting for their turn. */
  queued: number;
  /** The budget's current pace as a fraction of its target (drops after 429s). */
  pace: number;
  /** Epoch ms until which the server asked the budget to hold off; 0 when it did not. */
  pausedUntil: number;
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
  serverErrorAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxServerWaitMs: number;
  deadlineAt: number | undefined;
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
      serverErrorAttempts: Math.max(1, opts.retry?.serverErrorAttempts ?? 3),
      baseDelayMs: opts.retry?.baseDelayMs ?? 1000,
      maxDelayMs: opts.retry?.maxDelayMs ?? 30_000,
      maxServerWaitMs: opts.retry?.maxServerWaitMs ?? 180_000,
      deadlineAt: opts.deadlineAt,
      now: opts.now ?? systemNow,
      sleep: opts.sleep ?? systemSleep,
      random: opts.random ?? Math.random,
      onRequest: opts.onRequest,
    };
  }

  redact(text: string): string {
    return redactSecrets(text, [this.#apiKey]);
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
        queued: b?.queued ?? 0,
        pace: b?.pace ?? 1,
        pausedUntil: b?.pausedUntil ?? 0,
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

  /** The earlier of the client's and the request's deadline. */
  #deadlineOf(spec: RequestSpec): number | undefined {
    const a = this.#cfg.deadlineAt;
    const b = spec.deadlineAt;
    return a === undefined ? b : b === undefined ? a : Math.min(a, b);
  }

  /** Longest server-ordered wait this request sits out from `now`. */
  #waitAllowance(deadlineAt: number | undefined, now: number): number {
    return deadlineAt === undefined ? this.#cfg.maxServerWaitMs : Math.max(0, deadlineAt - now);
  }

  /** The typed error for a wait the request will not sit out; nothing is sent for it. */
  #refused(
    spec: RequestSpec,
    request: string,
    reason: "pause" | "deadline",
    waitMs: number,
    attempts: number,
    deadlineAt: number | undefined,
    answered = false,
  ): AtlassianApiError {
    const now = this.#cfg.now();
    const what = answered
      ? `${request} failed with HTTP 429 and is not retried`
      : `${request} was not sent`;
    const until = new Date(now + waitMs).toISOString();
    if (reason === "pause") {
      const limit =
        deadlineAt === undefined
          ? `retry.maxServerWaitMs (${seconds(this.#cfg.maxServerWaitMs)})`
          : `the ${seconds(Math.max(0, deadlineAt - now))} left before the deadline`;
      return new RateLimitError(
        `${what}: the API asked to wait ${seconds(waitMs)} (until ${until}) before the next call, longer than ${limit}. ` +
          `Stop this run and start it again after ${until}, or give it a later deadline.`,
        {
          endpoint: spec.endpoint,
          request,
          status: 429,
          attempts,
          retryAfterMs: waitMs,
          retryAt: now + waitMs,
          stopRun: true,
        },
      );
    }
    const at = new Date(deadlineAt ?? now).toISOString();
    return new DeadlineError(
      `${request} was not sent: its turn under the rate limit would come after the deadline (${at}). ` +
        `Stop this run; give it a later deadline or fewer calls.`,
      { endpoint: spec.endpoint, request, attempts, deadlineAt: deadlineAt ?? now },
    );
  }

  async request(spec: RequestSpec): Promise<ApiResponse> {
    const cfg = this.#cfg;
    const limiter = this.#limiter(spec.orgId, spec.endpoint);
    const counter = this.#counter(spec.orgId, spec.endpoint);
    const request = `${spec.method} ${spec.path}`;
    const url = this.#url(spec);
    const deadlineAt = this.#deadlineOf(spec);
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
      spec.signal?.throwIfAborted();
      const before = cfg.now();
      if (deadlineAt !== undefined && before >= deadlineAt) {
        counter.failures++;
        throw this.#refused(spec, request, "deadline", 0, attempt - 1, deadlineAt);
      }
      let release: () => void;
      try {
        release = await limiter.acquire({
          signal: spec.signal,
          maxPauseMs: this.#waitAllowance(deadlineAt, before),
          deadlineAt,
        });
      } catch (e) {
        if (!(e instanceof LimiterRefusal)) throw e;
        counter.failures++;
        throw this.#refused(spec, request, e.reason, e.waitMs, attempt - 1, deadlineAt);
      }
      // The slot may have been handed over in the same tick the caller gave up: never send then.
      if (spec.signal?.aborted) {
        release();
        throw abortReason(spec.signal);
      }
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
        this.#emit(spec, status, attempt, cfg.maxAttempts, now - started, undefined, undefined);
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
          idempotent: spec.idempotent,
        });
      }
      const err = failure as AtlassianApiError;
      const allowance = this.#waitAllowance(deadlineAt, now);
      const maxAttempts =
        status === 500 ? Math.min(cfg.maxAttempts, cfg.serverErrorAttempts) : cfg.maxAttempts;
      let delay: number | undefined;
      if (status === 429) {
        counter.rateLimited++;
        const wait = retryAfterMs ?? this.#backoff(attempt);
        // every caller of this (org, class) holds off for the server's full wait, not just this
        // one; those who will not wait that long are refused at once, not after the pause
        limiter.rateLimited(wait);
        if (wait > allowance) {
          this.#emit(spec, status, attempt, maxAttempts, now - started, undefined, err.kind);
          counter.failures++;
          throw this.#refused(spec, request, "pause", wait, attempt, deadlineAt, true);
        }
        if (err.retryable && attempt < maxAttempts) {
          // spread the herd a little so callers don't all hit the reset at once
          delay = wait + Math.min(allowance - wait, cfg.random() * Math.min(1000, wait * 0.1 + 50));
        }
      } else if (err.retryable && attempt < maxAttempts) {
        // a 503 may say when to come back; otherwise back off exponentially
        const hinted = info?.retryAfterMs;
        delay = hinted !== undefined && hinted <= allowance ? hinted : this.#backoff(attempt);
        // never wait and then fail: a backoff that would end past the deadline is not started
        if (deadlineAt !== undefined && now + delay >= deadlineAt) delay = undefined;
      }
      this.#emit(spec, status, attempt, maxAttempts, now - started, delay, err.kind);
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
    maxAttempts: number,
    durationMs: number,
    retryInMs: number | undefined,
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
        maxAttempts,
        durationMs,
        retried: retryInMs !== undefined,
        ...(retryInMs !== undefined ? { retryInMs: Math.round(retryInMs) } : {}),
        rateLimited: status === 429,
        error,
      });
    } catch {
      // an observer must never break a request
    }
  }
}

/** "12 s", "3 min 5 s" for messages. */
function seconds(ms: number): string {
  const s = Math.ceil(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ""}`;
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
