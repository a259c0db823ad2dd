import type { z } from "zod";
import type { AtlassianClient, ApiResponse, RequestSpec } from "./client.ts";
import { SchemaError } from "./errors.ts";

/** Tagged template that percent-encodes every interpolated path segment. */
export function path(strings: TemplateStringsArray, ...values: string[]): string {
  let out = strings[0] ?? "";
  values.forEach((v, i) => {
    out += encodeURIComponent(v) + (strings[i + 1] ?? "");
  });
  return out;
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
  scrub: (text: string) => string = (t) => t,
): z.output<S> {
  if (!res.json) {
    const what =
      res.text.trim() === "" ? "an empty body" : `a non-JSON body (${res.text.slice(0, 80)}…)`;
    throw new SchemaError(
      scrub(
        `${res.request} answered HTTP ${res.status} with ${what} where JSON was expected. ` +
          `This is an API/client mismatch; the data must not be treated as empty.`,
      ),
      { endpoint: spec.endpoint, request: res.request, status: res.status },
    );
  }
  const result = schema.safeParse(res.body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const at = issue ? issue.path.map(String).join(".") : "";
  const parent = issue ? valueAt(res.body, issue.path.slice(0, -1)) : undefined;
  const keys =
    parent && typeof parent === "object" && !Array.isArray(parent)
      ? ` (keys present there: ${Object.keys(parent).slice(0, 15).join(", ") || "none"})`
      : "";
  const more =
    result.error.issues.length > 1 ? ` and ${result.error.issues.length - 1} more issue(s)` : "";
  throw new SchemaError(
    scrub(
      `${res.request} answered HTTP ${res.status} with a body that does not match the expected shape: ` +
        `${at || "<root>"}: ${issue?.message ?? "invalid"}${keys}${more}. ` +
        `The API may have changed (or a field's casing differs); the data must not be treated as empty.`,
    ),
    { endpoint: spec.endpoint, request: res.request, status: res.status, path: at || undefined },
  );
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
