import { redactThenTruncate } from "../config/redact.ts";
import type { EndpointClass } from "./endpoint-classes.ts";
import {
  type AtlassianApiError,
  type ConflictReason,
  type ParsedErrorBody,
  AuthError,
  BadRequestError,
  ClientError,
  ConflictError,
  ForbiddenError,
  LicenseLimitError,
  NotFoundError,
  RateLimitError,
  ServerError,
} from "./errors.ts";

/** Statuses worth retrying on any request: rate limits and gateway trouble. */
export const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/**
 * Whether a failed response may be retried. A 500 is retried only for idempotent requests
 * (reads and searches): the API's own 500 body says "try again later", but a write that failed
 * with a 500 may have happened, and repeating it is not ours to decide.
 */
export function isRetryableStatus(status: number, idempotent: boolean): boolean {
  return TRANSIENT_STATUSES.has(status) || (status === 500 && idempotent);
}

type Json = Record<string, unknown>;

function str(v: unknown): string | undefined {
  if (typeof v === "string" && v.length > 0) return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return undefined;
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Parses any of the error-body shapes in admin-api.md §4 (gateway, ApplicationErrors,
 * bare ApplicationError, Spring-style 403, user-management key/context) and non-JSON text.
 * `scrub` removes secrets: every string kept (message, code, request id, snippet) is scrubbed
 * before it is cut, so no piece of a secret survives a truncation.
 */
export function parseErrorBody(text: string, scrub: (s: string) => string): ParsedErrorBody {
  const parsed = parseRawErrorBody(text);
  const clean = (v: string | undefined): string | undefined =>
    v === undefined ? undefined : scrub(v);
  return {
    ...parsed,
    code: clean(parsed.code),
    codes: parsed.codes.map(scrub),
    // an HTML page's text can be long: keep a line of it, cut only once scrubbed
    message:
      parsed.shape === "text" && parsed.message !== undefined
        ? redactThenTruncate(parsed.message, 200, scrub)
        : clean(parsed.message),
    requestId: clean(parsed.requestId),
    snippet: redactThenTruncate(text, 500, scrub),
  };
}

/** The body's fields as sent (not yet scrubbed). JSON is parsed before anything is redacted. */
function parseRawErrorBody(text: string): ParsedErrorBody {
  const base = { snippet: "", requestId: undefined, codes: [] as string[] };
  if (text.trim() === "") return { ...base, shape: "empty", code: undefined, message: undefined };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ...base, shape: "text", code: undefined, message: textMessage(text) };
  }
  if (!isObject(json)) {
    return { ...base, shape: "unknown-json", code: undefined, message: undefined };
  }
  if (Array.isArray(json.errors)) {
    const items = json.errors.filter(isObject);
    const codes = items.map((e) => str(e.code)).filter((c): c is string => c !== undefined);
    const messages = items
      .map((e) => {
        const title = str(e.title);
        const detail = str(e.detail) ?? str(e.message);
        return title && detail ? `${title}: ${detail}` : (detail ?? title);
      })
      .filter((m): m is string => m !== undefined);
    return {
      ...base,
      shape: "errors",
      codes,
      code: codes[0],
      message: messages.join("; ") || undefined,
      requestId: str(items[0]?.id),
    };
  }
  if (typeof json.key === "string") {
    const ctx = isObject(json.context) ? json.context : undefined;
    const reasonKey = ctx && isObject(ctx.reason) ? str(ctx.reason.key) : undefined;
    const parts = [
      str(json.message),
      str(ctx?.message),
      reasonKey ? `reason: ${reasonKey}` : undefined,
    ];
    if (ctx && Array.isArray(ctx.errorCodes)) {
      for (const ec of ctx.errorCodes.filter(isObject)) parts.push(str(ec.message) ?? str(ec.code));
    }
    const message = parts.filter((p): p is string => p !== undefined).join("; ");
    return {
      ...base,
      shape: "user-management",
      code: json.key,
      codes: [json.key],
      message: message || json.key,
    };
  }
  if ("timestamp" in json && "path" in json && ("error" in json || "status" in json)) {
    return {
      ...base,
      shape: "spring",
      code: undefined,
      message: [str(json.error), str(json.message)].filter(Boolean).join(": ") || undefined,
      requestId: str(json.requestId),
    };
  }
  if (typeof json.code === "string" && (json.title !== undefined || json.detail !== undefined)) {
    const title = str(json.title);
    const detail = str(json.detail);
    return {
      ...base,
      shape: "application",
      code: json.code,
      codes: [json.code],
      message: title && detail ? `${title}: ${detail}` : (detail ?? title),
      requestId: str(json.id),
    };
  }
  if (json.code !== undefined && typeof json.message === "string") {
    const code = str(json.code);
    return { ...base, shape: "gateway", code, codes: code ? [code] : [], message: json.message };
  }
  const message = str(json.message) ?? str(json.error) ?? str(json.detail);
  return { ...base, shape: "unknown-json", code: str(json.code), message };
}

/** The page title, else its text; cut by the caller, after scrubbing. */
function textMessage(text: string): string | undefined {
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text.slice(0, 64 * 1024))?.[1]?.trim();
  if (title) return title;
  const stripped = text
    .slice(0, 64 * 1024)
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return stripped || undefined;
}

/** Decides whether a 409 means "already done" or "licence limit" (admin-api.md §7 item 10). */
export function conflictReason(body: ParsedErrorBody): ConflictReason {
  // the documented licence codes win over any wording: "already" must never hide a refusal
  if (body.codes.some((c) => c === "ADMIN-409-3" || c === "ADMIN-UAM-409-3")) {
    return "license-limit";
  }
  const text = `${body.message ?? ""} ${body.snippet}`;
  if (/already/i.test(text)) return "already";
  if (/licen[cs]e|user limit|seat limit|exceeded/i.test(text)) return "license-limit";
  return "other";
}

/**
 * A 403 that rejects the key's scopes rather than the action: the user-management API answers
 * scoped keys with a 403 naming `manage:org` (exact body UNVERIFIED, admin-api.md §4.5), so
 * anything mentioning a scope counts — but not `forbidden.action` & co., which are about the target.
 */
function isScopedKeyRejection(ctx: MapContext): boolean {
  const text = `${ctx.body.message ?? ""} ${ctx.body.snippet}`;
  if (/manage:org/i.test(text)) return true;
  if (
    /^forbidden\.(action|targetUnverified|unclaimedDomain|fieldMutation)$/.test(ctx.body.code ?? "")
  )
    return false;
  return /\bscope/i.test(text);
}

/** What a 404 means here, from the Atlassian error code (or its absence) and the request. */
function notFoundAdvice(ctx: MapContext): string {
  const code = ctx.body.code ?? "";
  const atlassianCode = /^ADMIN-/.test(code);
  // The org list always exists: a 404 there is some other server, or a wrong base URL.
  if (/ \/admin\/v1\/orgs$/.test(ctx.request) || !atlassianCode) {
    const org = / \/admin\/v1\/orgs\/[^/]+$/.test(ctx.request)
      ? " If it is, check ATLASSIAN_ORG_ID (or the org's orgId in the config file)."
      : "";
    return (
      "The answer carried no Atlassian error code: is ATLASSIAN_API_URL the Atlassian API " +
      `(https://api.atlassian.com, no path)?${org}`
    );
  }
  if (code === "ADMIN-404-2") {
    return (
      "The organization was not found with this key: check ATLASSIAN_ORG_ID (or the org's " +
      "orgId in the config file), or leave it unset to use the org the key belongs to."
    );
  }
  if (code === "ADMIN-404-8") return "No such user in this organization (it may have left).";
  if (code === "ADMIN-404-10")
    return "No such group in this organization (it may have been deleted).";
  return "Not found: check the organization, directory, group and account ids.";
}

export interface MapContext {
  endpoint: EndpointClass;
  request: string;
  status: number;
  body: ParsedErrorBody;
  retryAfterMs: number | undefined;
  attempts: number;
  /** The request may be repeated safely (reads, searches): a 500 is then retryable. */
  idempotent: boolean;
}

/** Maps a non-2xx response to a typed error whose message says what to do next. */
export function errorFromResponse(ctx: MapContext): AtlassianApiError {
  const { status, body, request } = ctx;
  const said = body.message ? ` Server said: "${body.message}".` : "";
  const codeText = body.code ? ` [${body.code}]` : "";
  const init = {
    endpoint: ctx.endpoint,
    request,
    status,
    body,
    attempts: ctx.attempts,
    retryable: isRetryableStatus(status, ctx.idempotent),
  };
  const head = `${request} failed with HTTP ${status}${codeText}.${said}`;
  if (status === 401) {
    const scope = /scope/i.test(`${body.message ?? ""} ${body.snippet}`)
      ? " The key's scopes do not cover this call."
      : "";
    return new AuthError(
      `${head} The API key was rejected.${scope} Create an organization API key without scopes ` +
        `(admin.atlassian.com → Settings → API keys) and give it as ATLASSIAN_API_KEY (or the org's apiKeyEnv in the config file); site API tokens ` +
        `(Basic auth on *.atlassian.net) and OAuth tokens do not work here. Keys expire after at most one year: rotate it if it has expired.`,
      init,
    );
  }
  if (status === 403) {
    if (isScopedKeyRejection(ctx)) {
      return new ForbiddenError(
        `${head} The API key has scopes, and the user-management API refuses scoped keys ` +
          `(it asks for "manage:org", which cannot be selected when creating a key). ` +
          `Create an organization API key without scopes and use that one.`,
        { ...init, scopedKey: true },
      );
    }
    return new ForbiddenError(
      `${head} The key is not allowed to do this. Check that it belongs to an org admin of this ` +
        `organization and was created without scopes (user-management endpoints reject scoped keys, ` +
        `"manage:org"); lifecycle actions only work on managed accounts.`,
      init,
    );
  }
  if (status === 404) return new NotFoundError(`${head} ${notFoundAdvice(ctx)}`, init);
  if (status === 409) {
    const reason = conflictReason(body);
    if (reason === "license-limit") {
      return new LicenseLimitError(
        `${head} A product licence limit would be exceeded: nothing was changed. Free a seat or raise the limit first.`,
        init,
      );
    }
    const what =
      reason === "already"
        ? "It is already in the requested state."
        : "The resource is in a conflicting state; re-read it before retrying.";
    return new ConflictError(`${head} ${what}`, { ...init, reason });
  }
  if (status === 429) {
    const wait =
      ctx.retryAfterMs !== undefined
        ? ` The server asked to wait ${Math.ceil(ctx.retryAfterMs / 1000)} s.`
        : "";
    return new RateLimitError(
      `${head} Rate limited after ${ctx.attempts} attempt(s).${wait} Lower the request rate or concurrency, or try again later.`,
      { ...init, retryAfterMs: ctx.retryAfterMs },
    );
  }
  if (status === 400) {
    const hint =
      body.code === "ADMIN-400-1"
        ? " The page cursor is stale or foreign: restart the listing from the first page."
        : " Check the request parameters.";
    return new BadRequestError(`${head}${hint}`, init);
  }
  if (status >= 500) {
    return new ServerError(
      `${head} Atlassian had a server-side problem${ctx.attempts > 1 ? ` (tried ${ctx.attempts} times)` : ""}; try again later.`,
      init,
    );
  }
  if (status >= 300 && status < 400) {
    return new ClientError(
      `${head} The server answered with a redirect, which Reclaim does not follow (the API key would go with it). Check that ATLASSIAN_API_URL is the Atlassian API itself.`,
      { ...init, retryable: false },
    );
  }
  return new ClientError(
    `${head} The request was refused; it will not succeed if repeated as is.`,
    {
      ...init,
      retryable: false,
    },
  );
}
