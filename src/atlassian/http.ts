import type { z } from "zod";
import { redactThenTruncate } from "../config/redact.ts";
import type { AtlassianClient, ApiResponse, RequestSpec } from "./client.ts";
import { SchemaError } from "./errors.ts";
import type { RejectedRecord } from "./pagination.ts";

/** Tagged template that percent-encodes every interpolated path segment. */
export function path(strings: TemplateStringsArray, ...values: string[]): string {
  let out = strings[0] ?? "";
  values.forEach((v, i) => {
    out += encodeURIComponent(v) + (strings[i + 1] ?? "");
  });
  return out;
}

type Scrub = (text: string) => string;
const asIs: Scrub = (t) => t;

/** The body was not JSON where JSON was expected: never to be read as empty data. */
function notJson(spec: Pick<RequestSpec, "endpoint">, res: ApiResponse, scrub: Scrub): SchemaError {
  const what =
    res.text.trim() === ""
      ? "an empty body"
      : `a non-JSON body (${redactThenTruncate(res.text, 80, scrub)}…)`;
  return new SchemaError(
    `${res.request} answered HTTP ${res.status} with ${what} where JSON was expected. ` +
      `This is an API/client mismatch; the data must not be treated as empty.`,
    { endpoint: spec.endpoint, request: res.request, status: res.status },
  );
}

/**
 * "`data.0.accountId`: Required (keys present there: account_id, name)" for the first issue,
 * quoting the offending value only once scrubbed, then cut.
 */
function describeIssues(
  root: unknown,
  error: z.ZodError,
  scrub: Scrub,
): { text: string; path: string | undefined } {
  const issue = error.issues[0];
  const at = issue ? issue.path.map(String).join(".") : "";
  const parent = issue ? valueAt(root, issue.path.slice(0, -1)) : undefined;
  const value = issue ? valueAt(root, issue.path) : undefined;
  // the keys beside a missing field show a casing mix-up at a glance
  const keys =
    value === undefined && parent && typeof parent === "object" && !Array.isArray(parent)
      ? ` (keys present there: ${Object.keys(parent).slice(0, 15).join(", ") || "none"})`
      : "";
  const got =
    typeof value === "string"
      ? ` (got "${redactThenTruncate(value, 40, scrub)}")`
      : typeof value === "number" || typeof value === "boolean"
        ? ` (got ${String(value)})`
        : "";
  const more = error.issues.length > 1 ? ` and ${error.issues.length - 1} more issue(s)` : "";
  return {
    text: scrub(`${at || "<root>"}: ${issue?.message ?? "invalid"}${got}${keys}${more}`),
    path: at || undefined,
  };
}

/**
 * Validates a 2xx body against `schema`. A mismatch — including an empty or non-JSON body where
 * JSON was expected — is a SchemaError naming the request and the first offending field, so a
 * casing mix-up can never pass as "200 with zero rows".
 */
export function parseBody<S extends z.ZodType>(
  spec: Pick<RequestSpec, "endpoint">,
  res: ApiResponse,
  schema: S,
  scrub: Scrub = asIs,
): z.output<S> {
  if (!res.json) throw notJson(spec, res, scrub);
  const result = schema.safeParse(res.body);
  if (result.success) return result.data;
  const issue = describeIssues(res.body, result.error, scrub);
  throw new SchemaError(
    `${res.request} answered HTTP ${res.status} with a body that does not match the expected shape: ` +
      `${issue.text}. The API may have changed (or a field's casing differs); the data must not be treated as empty.`,
    { endpoint: spec.endpoint, request: res.request, status: res.status, path: issue.path },
  );
}

/**
 * One page of independent records: each is validated on its own, so one unusable record is
 * rejected (with its id and the reason) instead of failing the page.
 */
export interface RecordsSpec<P extends z.ZodType, R extends z.ZodType> {
  /** The page without its records: `data` (or wherever they are) as `z.array(z.unknown())`. */
  page: P;
  /** The records, taken from the parsed page. */
  records: (page: z.output<P>) => unknown[];
  record: R;
  /** The record's id when it has a usable one, for the rejection report. */
  idOf: (raw: unknown) => string | undefined;
  /** Path of the records in the body, for messages (`data`). */
  at: string;
}

/**
 * A page where no record is usable is a shape mismatch, not odd records (e.g. snake_case where
 * camelCase is expected): it fails loudly. One record alone proves nothing either way, so it is
 * rejected like any other.
 */
const MIN_RECORDS_FOR_SHAPE_MISMATCH = 2;

/**
 * Parses a page of records. Returns the page, the usable records and the rejected ones.
 * Throws SchemaError when the page itself does not match, or when every one of its records
 * (at least two) is unusable.
 */
export function parseRecords<P extends z.ZodType, R extends z.ZodType>(
  spec: Pick<RequestSpec, "endpoint">,
  res: ApiResponse,
  shape: RecordsSpec<P, R>,
  scrub: Scrub = asIs,
): { page: z.output<P>; items: z.output<R>[]; rejected: RejectedRecord[] } {
  const page = parseBody(spec, res, shape.page, scrub);
  const raw = shape.records(page);
  const items: z.output<R>[] = [];
  const rejected: RejectedRecord[] = [];
  raw.forEach((r, index) => {
    const parsed = shape.record.safeParse(r);
    if (parsed.success) {
      items.push(parsed.data);
      return;
    }
    const issue = describeIssues(r, parsed.error, scrub);
    const id = shape.idOf(r);
    rejected.push({
      endpoint: spec.endpoint,
      request: res.request,
      ...(id !== undefined ? { id: scrub(id) } : {}),
      index,
      reason: issue.text,
    });
  });
  const first = rejected[0];
  if (first && items.length === 0 && raw.length >= MIN_RECORDS_FOR_SHAPE_MISMATCH) {
    throw new SchemaError(
      `${res.request} answered HTTP ${res.status} with ${raw.length} records, none of the expected shape: ` +
        `${shape.at}.${first.index}.${first.reason}. The API may have changed (or a field's casing differs); ` +
        `the data must not be treated as empty.`,
      { endpoint: spec.endpoint, request: res.request, status: res.status, path: shape.at },
    );
  }
  return { page, items, rejected };
}

/** A string `key` of a raw record, if it has one. */
export function stringField(raw: unknown, key: string): string | undefined {
  if (raw === null || typeof raw !== "object") return undefined;
  const v = (raw as Record<string, unknown>)[key];
  return typeof v === "string" && v !== "" ? v : undefined;
}

function valueAt(root: unknown, keys: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const k of keys) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

/** Sends a request and validates its JSON body. */
export async function requestJson<S extends z.ZodType>(
  client: AtlassianClient,
  spec: RequestSpec,
  schema: S,
): Promise<z.output<S>> {
  const res = await client.request(spec);
  return parseBody(spec, res, schema, (t) => client.redact(t));
}

/** Sends a request for a page of records and validates each record on its own (see parseRecords). */
export async function requestRecords<P extends z.ZodType, R extends z.ZodType>(
  client: AtlassianClient,
  spec: RequestSpec,
  shape: RecordsSpec<P, R>,
): Promise<{ page: z.output<P>; items: z.output<R>[]; rejected: RejectedRecord[] }> {
  const res = await client.request(spec);
  return parseRecords(spec, res, shape, (t) => client.redact(t));
}
