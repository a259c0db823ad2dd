import type { EndpointClass } from "./endpoint-classes.ts";

/**
 * Typed errors. Callers branch on the class (or `.kind`), never on status numbers.
 * Every message says what happened and what to do; none contains the API key (the transport
 * scrubs server-provided text before it gets here, and request headers are never attached).
 */
export type ErrorKind =
  | "auth"
  | "forbidden"
  | "not-found"
  | "conflict"
  | "rate-limit"
  | "bad-request"
  | "client"
  | "server"
  | "network"
  | "schema"
  | "pagination-loop"
  | "deadline";

/** Which of the documented error-body shapes the server answered with (admin-api.md §4). */
export type ErrorBodyShape =
  | "gateway" // {code, message}
  | "errors" // {errors:[{id,status,code,title,detail}]}
  | "application" // bare {code:"ADMIN-…", title, detail}
  | "spring" // {timestamp, path, status, error, message, requestId}
  | "user-management" // {key, context}
  | "text" // HTML or other non-JSON
  | "empty"
  | "unknown-json";

export interface ParsedErrorBody {
  shape: ErrorBodyShape;
  /** Atlassian code (`ADMIN-404-8`), user-management key (`forbidden.action`) or gateway code. */
  code: string | undefined;
  /** Human-readable text from the body, joined when there are several errors. */
  message: string | undefined;
  requestId: string | undefined;
  /** All codes when the body lists several errors. */
  codes: string[];
  /** First 500 characters of the body, scrubbed of the API key. */
  snippet: string;
}

export interface ErrorInit {
  endpoint: EndpointClass | "unknown";
  /** `METHOD /path` of the failing call, without query string. */
  request?: string | undefined;
  status?: number | undefined;
  code?: string | undefined;
  requestId?: string | undefined;
  body?: ParsedErrorBody | undefined;
  retryable?: boolean;
  attempts?: number | undefined;
  stopRun?: boolean;
  cause?: unknown;
}

export class AtlassianApiError extends Error {
  readonly kind: ErrorKind = "client";
  readonly endpoint: EndpointClass | "unknown";
  readonly request: string | undefined;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly requestId: string | undefined;
  readonly body: ParsedErrorBody | undefined;
  readonly retryable: boolean;
  /** HTTP attempts made before giving up (1 = not retried; 0 = never sent). */
  readonly attempts: number | undefined;
  /**
   * Every further call of this run would fail the same way (the server asked for a wait beyond
   * the run's deadline, or the deadline has passed): stop the run now, and say why.
   */
  readonly stopRun: boolean;

  constructor(message: string, init: ErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.endpoint = init.endpoint;
    this.request = init.request;
    this.status = init.status;
    this.code = init.code ?? init.body?.code;
    this.requestId = init.requestId ?? init.body?.requestId;
    this.body = init.body;
    this.retryable = init.retryable ?? false;
    this.attempts = init.attempts;
    this.stopRun = init.stopRun ?? false;
  }
}

/** 401: wrong kind of credential, expired key, or scope mismatch. */
export class AuthError extends AtlassianApiError {
  override readonly kind = "auth";
}
/** 403: the key may not do this (not an org admin, scoped key on user-management, target not manageable). */
export class ForbiddenError extends AtlassianApiError {
  override readonly kind = "forbidden";
  /** The key was refused for its scopes (user-management wants a key without scopes), not for the target. */
  readonly scopedKey: boolean;
  constructor(message: string, init: ErrorInit & { scopedKey?: boolean }) {
    super(message, init);
    this.scopedKey = init.scopedKey ?? false;
  }
}
/** What a 404 says is missing, from its code; `unknown` when the body names nothing. */
export type NotFoundTarget = "user" | "org" | "group" | "resource" | "unknown";

const NOT_FOUND_TARGETS: Record<string, NotFoundTarget> = {
  "ADMIN-404-8": "user",
  accountNotFound: "user",
  "ADMIN-404-2": "org",
  "ADMIN-UAM-404-2": "org",
  "ADMIN-404-10": "group",
  "ADMIN-404-1": "resource",
  "ADMIN-UAM-404-1": "resource",
};

/** 404: org, directory, group or user not found. `.target` tells which, from `.code`. */
export class NotFoundError extends AtlassianApiError {
  override readonly kind = "not-found";
  /** What is missing: `user` for `ADMIN-404-8` / `accountNotFound`, `org`, `group`, `resource` (a directory or site), else `unknown`. */
  get target(): NotFoundTarget {
    return NOT_FOUND_TARGETS[this.code ?? ""] ?? "unknown";
  }
  /**
   * The user the call was about no longer exists here (deleted or removed mid-crawl): true only
   * when the API said so with a user code. Record the user as removed, not the read as failed.
   * A 404 that names nothing (`target: "unknown"`) is not read as "user gone": a wrong org or
   * directory answers the same way and would make every user look removed.
   */
  get userGone(): boolean {
    return this.target === "user";
  }
}

export type ConflictReason = "already" | "license-limit" | "other";
/** 409: disambiguated by body text — already done, licence limit reached, or something else. */
export class ConflictError extends AtlassianApiError {
  override readonly kind = "conflict";
  readonly reason: ConflictReason;
  constructor(message: string, init: ErrorInit & { reason: ConflictReason }) {
    super(message, init);
    this.reason = init.reason;
  }
}
/**
 * 409 refusing a write because a product's licence limit would be exceeded
 * (`ADMIN-409-3`, `ADMIN-UAM-409-3`, or a body saying so). Never "already": nothing changed.
 */
export class LicenseLimitError extends ConflictError {
  constructor(message: string, init: ErrorInit) {
    super(message, { ...init, reason: "license-limit" });
  }
}
/**
 * A 429 that outlasted the retries, or one asking for a wait the caller does not accept (longer
 * than `retry.maxServerWaitMs`, or past the deadline). In that second case the request is not
 * retried, nothing waited for it, and `stopRun` is true: every call on this budget would be
 * refused until `retryAt`.
 */
export class RateLimitError extends AtlassianApiError {
  override readonly kind = "rate-limit";
  /** How long the server asked us to wait, in ms (undefined when it did not say). */
  readonly retryAfterMs: number | undefined;
  /** Epoch ms (client clock) when the server will take calls again; undefined when it did not say. */
  readonly retryAt: number | undefined;
  constructor(
    message: string,
    init: ErrorInit & { retryAfterMs: number | undefined; retryAt?: number | undefined },
  ) {
    super(message, init);
    this.retryAfterMs = init.retryAfterMs;
    this.retryAt = init.retryAt;
  }
}
/**
 * The call could not finish before the caller's deadline (`deadlineAt`): its turn in the rate
 * limiter, or the deadline itself, lies past it. Nothing was sent for the attempt that would
 * have overrun. `stopRun` is true.
 */
export class DeadlineError extends AtlassianApiError {
  override readonly kind = "deadline";
  /** The deadline, epoch ms on the client clock. */
  readonly deadlineAt: number;
  constructor(message: string, init: ErrorInit & { deadlineAt: number }) {
    super(message, { ...init, stopRun: true });
    this.deadlineAt = init.deadlineAt;
  }
}
/** 400: bad parameter, body or cursor. `.staleCursor` is true for `ADMIN-400-1` (restart the walk). */
export class BadRequestError extends AtlassianApiError {
  override readonly kind = "bad-request";
  get staleCursor(): boolean {
    return this.code === "ADMIN-400-1";
  }
}
/** Any other 4xx (402, 405, 410, 415 …). */
export class ClientError extends AtlassianApiError {
  override readonly kind = "client";
}
/** 5xx. 502/503/504 are transient and were retried before this was thrown. */
export class ServerError extends AtlassianApiError {
  override readonly kind = "server";
}
/** Connection failure, reset or timeout: no HTTP status. */
export class NetworkError extends AtlassianApiError {
  override readonly kind = "network";
  readonly timedOut: boolean;
  constructor(message: string, init: ErrorInit & { timedOut: boolean }) {
    super(message, init);
    this.timedOut = init.timedOut;
  }
}
/** A 2xx body that does not match the expected shape. Never treat it as empty data. */
export class SchemaError extends AtlassianApiError {
  override readonly kind = "schema";
  /** Dotted path of the first offending field, e.g. `data.0.accountId`. */
  readonly path: string | undefined;
  constructor(message: string, init: ErrorInit & { path?: string | undefined }) {
    super(message, init);
    this.path = init.path;
  }
}
/**
 * Why a walk was stopped: a cursor came back a second time, the page ceiling (`maxPages`) was
 * passed, too many empty pages in a row still had a next cursor, or the items outgrew the
 * expected total by far.
 */
export type PaginationStop = "repeated-cursor" | "page-ceiling" | "empty-pages" | "beyond-expected";

/** A paginated walk that would not end by itself; stopped, never silently truncated. */
export class PaginationLoopError extends AtlassianApiError {
  override readonly kind = "pagination-loop";
  readonly reason: PaginationStop;
  /** Pages fetched when the walk was stopped. */
  readonly pages: number;
  constructor(message: string, init: ErrorInit & { pages: number; reason: PaginationStop }) {
    super(message, init);
    this.pages = init.pages;
    this.reason = init.reason;
  }
}

export function isAtlassianApiError(e: unknown): e is AtlassianApiError {
  return e instanceof AtlassianApiError;
}
