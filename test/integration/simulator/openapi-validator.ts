import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import type { ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

/**
 * Validates simulator responses against Atlassian's official OpenAPI 3.0 files with ajv.
 *
 * The OpenAPI dialect is converted to JSON Schema (`nullable`, component `$ref`s, vendor keys).
 * Where the official spec is wrong or silent, the conversion applies one of the NAMED exceptions
 * below instead of skipping the check; each names its reason (see admin-api.md §7).
 *
 * Stricter than the spec on purpose: every object schema that lists `properties` and says nothing
 * about `additionalProperties` is closed, so a misspelt or undocumented field fails the test.
 */
export const SPEC_EXCEPTIONS = {
  UUID_FORMAT_ON_NON_UUID_IDS:
    "§7 item 14: `format: uuid` is declared on org and account ids that are not UUIDs; uuid formats are not enforced.",
  GROUP_COUNTS_INVALID_TYPE:
    '§7 item 14: `"type": "GroupCounts"` inside MultiDirectoryGroupDetails is not a JSON type; only its $ref is used.',
  V2_WRITE_ERRORS_WITHOUT_SCHEMA:
    "§7 item 14: v2 write endpoints describe error responses without a schema; their bodies are checked against the v2 `Errors` schema.",
  GATEWAY_BODIES_ON_V2:
    "§4.1: 401 and 429 come from the gateway (`ProxyError` {code, message}) even where a v2 operation documents `Errors`.",
  DETAILS_PATH_PARAMETER_NAME:
    "§7 item 14: the details path says `{userId}` while its parameter is named `accountId`; paths are matched by shape, not parameter names.",
  ACCOUNT_ID_PATTERN_TRAILING_NEWLINE:
    "User-management `AccountId.pattern` ends in a literal newline (`[a-zA-Z0-9_|:-]{1,128}\\n`), which no id contains; patterns are trimmed.",
  CREATE_GROUP_RETURNS_GROUP:
    "v2 create group documents 201 without a body (UNVERIFIED, §3.8); the simulator returns the new group so a client can learn its id, checked against MultiDirectoryGroup.",
  GATEWAY_5XX_UNDOCUMENTED:
    "§4.6: 502/503/504 come from the gateway in front of every operation, yet no operation documents them; their bodies are checked against `ProxyError`.",
  USER_MANAGEMENT_GATEWAY_ERRORS:
    "§4.1: the user-management spec documents neither 429 nor 500, which the shared gateway answers with `ProxyError` {code, message}; checked against the organizations spec's `ProxyError`.",
  OPEN_FORMATS:
    "Formats other than date-time and date (int32, int, uri, email) are informational here; ajv-formats checks date-time and date.",
} as const;

export type SpecName = "org2026" | "org2023" | "um2023";
const FILES: Record<SpecName, string> = {
  org2026: "atlassian-admin-organization.openapi.2026-09-24.json",
  org2023: "atlassian-admin-organization.openapi.2023-08-28.json",
  um2023: "atlassian-admin-user-management.openapi.2023-08-28.json",
};

type Json = Record<string, unknown>;
const JSON_TYPES = new Set(["object", "array", "string", "number", "integer", "boolean", "null"]);
const KEPT_FORMATS = new Set(["date-time", "date"]);
const DROPPED = new Set([
  "discriminator",
  "example",
  "examples",
  "xml",
  "externalDocs",
  "nullable",
  "deprecated",
  "readOnly",
  "writeOnly",
]);
/** Walks nested objects; undefined when any step is missing. */
function at(node: unknown, ...path: string[]): unknown {
  let cur = node;
  for (const key of path) {
    if (!isObj(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** OpenAPI 3.0 schema → JSON Schema for ajv (refs made absolute to `docId`). */
function convert(node: unknown, docId: string, underAllOf = false): unknown {
  if (Array.isArray(node)) return node.map((n) => convert(n, docId));
  if (!isObj(node)) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith("x-") || DROPPED.has(k)) continue;
    if (k === "format" && typeof v === "string" && !KEPT_FORMATS.has(v)) continue; // UUID_FORMAT_ON_NON_UUID_IDS, OPEN_FORMATS
    if (k === "type" && typeof v === "string" && !JSON_TYPES.has(v)) continue; // GROUP_COUNTS_INVALID_TYPE
    if (k === "pattern" && typeof v === "string") {
      out[k] = v.trim(); // ACCOUNT_ID_PATTERN_TRAILING_NEWLINE
    } else if (k === "$ref" && typeof v === "string") {
      out[k] = v.startsWith("#/") ? `${docId}${v}` : v;
    } else if ((k === "properties" || k === "patternProperties") && isObj(v)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, convert(s, docId)]));
    } else if (k === "allOf" && Array.isArray(v)) {
      out[k] = v.map((s) => convert(s, docId, true));
    } else {
      out[k] = convert(v, docId);
    }
  }
  if (
    isObj(out.properties) &&
    out.additionalProperties === undefined &&
    !underAllOf &&
    out.$ref === undefined
  ) {
    out.additionalProperties = false;
  }
  if (node.nullable === true) {
    if (typeof out.type === "string") {
      out.type = [out.type, "null"];
      if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
    } else {
      return { anyOf: [out, { type: "null" }] };
    }
  }
  return out;
}

/** The path template with parameter names erased, so `{userId}` and `{accountId}` match. */
const shape = (template: string) => template.replace(/\{[^}]+\}/g, "{}");

export interface CheckInput {
  spec: SpecName;
  method: string;
  /** Spec-relative path template, e.g. `/v1/orgs/{orgId}` or `/users/{account_id}/manage`. */
  template: string;
  status: number;
  body: unknown;
  text: string;
  headers: Headers;
}

export class SpecValidator {
  private readonly ajv: Ajv;
  private readonly docs = new Map<SpecName, Json>();
  private readonly cache = new Map<string, ValidateFunction>();
  /** Exceptions applied while checking, for the report. */
  readonly usedExceptions = new Set<keyof typeof SPEC_EXCEPTIONS>();

  constructor(fixturesDir: URL) {
    this.ajv = new Ajv({ strict: false, allErrors: true });
    (addFormatsModule as unknown as (ajv: Ajv, formats: string[]) => void)(this.ajv, [
      "date-time",
      "date",
    ]);
    for (const [name, file] of Object.entries(FILES) as [SpecName, string][]) {
      const doc = JSON.parse(readFileSync(new URL(file, fixturesDir), "utf8")) as Json;
      this.docs.set(name, doc);
      this.ajv.addSchema({ $id: name, components: convert(doc.components, name) as Json });
    }
  }

  /** The spec path and operation for a method and template, or undefined. */
  operation(
    spec: SpecName,
    method: string,
    template: string,
  ): { path: string; op: Json } | undefined {
    const doc = this.docs.get(spec);
    if (!doc) return undefined;
    for (const [path, ops] of Object.entries(doc.paths as Json)) {
      if (shape(path) !== shape(template)) continue;
      const op = (ops as Json)[method.toLowerCase()] as Json | undefined;
      if (op) {
        if (path !== template) this.usedExceptions.add("DETAILS_PATH_PARAMETER_NAME");
        return { path, op };
      }
    }
    return undefined;
  }

  private compile(key: string, schema: Json): ValidateFunction {
    let fn = this.cache.get(key);
    if (!fn) {
      fn = this.ajv.compile(schema);
      this.cache.set(key, fn);
    }
    return fn;
  }

  /** Problems with one response: undocumented status, schema violations, missing headers. */
  check(input: CheckInput): string[] {
    const { spec, method, template, status, body } = input;
    const where = `${method} ${template} → ${status}`;
    const found = this.operation(spec, method, template);
    if (!found) return [`${where}: operation not in ${spec}`];
    const problems: string[] = [];
    for (const h of ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"]) {
      if (input.headers.get(h) === null) problems.push(`${where}: missing header ${h}`);
    }
    const reset = input.headers.get("x-ratelimit-reset");
    if (
      reset !== null &&
      (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?Z$/.test(reset) ||
        Number.isNaN(Date.parse(reset)))
    ) {
      problems.push(`${where}: X-RateLimit-Reset is not ISO-8601 UTC: ${reset}`);
    }
    const doc = this.docs.get(spec)!;
    const responses = isObj(found.op.responses) ? found.op.responses : {};
    let response = responses[String(status)] ?? responses.default;
    const gateway5xx = status >= 502 && status <= 504;
    const umGateway = spec === "um2023" && (status === 429 || status === 500);
    if (!response && (gateway5xx || umGateway)) {
      this.usedExceptions.add(
        gateway5xx ? "GATEWAY_5XX_UNDOCUMENTED" : "USER_MANAGEMENT_GATEWAY_ERRORS",
      );
      const validate = this.compile(
        "org2026|proxy",
        convert({ $ref: "#/components/schemas/ProxyError" }, "org2026") as Json,
      );
      if (!validate(body)) {
        const got = body === undefined ? JSON.stringify(input.text.slice(0, 200)) : "";
        problems.push(
          `${where}: not a gateway ProxyError ${got}${this.ajv.errorsText(validate.errors)}`,
        );
      } else if (!isObj(body) || body.code !== status || typeof body.message !== "string") {
        problems.push(`${where}: gateway body needs code ${status} and a message`);
      }
      return problems;
    }
    if (!response) {
      const documented = Object.keys(responses).join(", ");
      return [...problems, `${where}: status not documented (documented: ${documented})`];
    }
    const ref = at(response, "$ref");
    if (typeof ref === "string")
      response = at(doc, "components", "responses", ref.split("/").pop() ?? "");
    const declared = at(response, "content", "application/json", "schema");
    let schema: Json | undefined = isObj(declared) ? declared : undefined;
    let key = `${spec}|${found.path}|${method}|${status}`;
    if (
      spec !== "um2023" &&
      (status === 401 || status === 429) &&
      isObj(body) &&
      typeof body.code === "number"
    ) {
      this.usedExceptions.add("GATEWAY_BODIES_ON_V2");
      schema = { $ref: "#/components/schemas/ProxyError" };
      key = `${spec}|proxy`;
      if (typeof body.message !== "string") problems.push(`${where}: gateway body lacks a message`);
    }
    if (
      !schema &&
      status === 201 &&
      spec === "org2026" &&
      method === "POST" &&
      /\/groups$/.test(found.path)
    ) {
      this.usedExceptions.add("CREATE_GROUP_RETURNS_GROUP");
      schema = { $ref: "#/components/schemas/MultiDirectoryGroup" };
      key = `${spec}|group`;
    }
    if (!schema && status >= 400 && spec === "org2026") {
      this.usedExceptions.add("V2_WRITE_ERRORS_WITHOUT_SCHEMA");
      schema = { $ref: "#/components/schemas/Errors" };
      key = `${spec}|errors`;
      if (!isObj(body) || !Array.isArray(body.errors) || body.errors.length === 0) {
        problems.push(`${where}: expected an Errors body, got ${input.text.slice(0, 200)}`);
      }
    }
    if (!schema) {
      if (input.text !== "")
        problems.push(`${where}: expected no body, got ${input.text.slice(0, 200)}`);
      return problems;
    }
    if (body === undefined)
      return [
        ...problems,
        `${where}: expected a JSON body, got ${JSON.stringify(input.text.slice(0, 200))}`,
      ];
    const validate = this.compile(key, convert(schema, spec) as Json);
    if (!validate(body)) {
      problems.push(`${where}: ${this.ajv.errorsText(validate.errors, { separator: "\n  " })}`);
    }
    return problems;
  }

  /** Problems with a request body against the operation's `requestBody` schema (closed
   * objects, as for responses). An operation without a request body accepts none. */
  checkRequest(spec: SpecName, method: string, template: string, body: unknown): string[] {
    const where = `${method} ${template} request`;
    const found = this.operation(spec, method, template);
    if (!found) return [`${where}: operation not in ${spec}`];
    const declared = at(found.op, "requestBody", "content", "application/json", "schema");
    if (!isObj(declared)) {
      return body === undefined ? [] : [`${where}: the operation takes no JSON body`];
    }
    if (body === undefined) {
      return at(found.op, "requestBody", "required") === true ? [`${where}: body required`] : [];
    }
    const validate = this.compile(
      `${spec}|${found.path}|${method}|request`,
      convert(declared, spec) as Json,
    );
    return validate(body) ? [] : [`${where}: ${this.ajv.errorsText(validate.errors)}`];
  }

  /** Every `(method, path)` of a spec. */
  operations(spec: SpecName): { method: string; path: string }[] {
    const doc = this.docs.get(spec)!;
    return Object.entries(doc.paths as Json).flatMap(([path, ops]) =>
      Object.keys(ops as Json)
        .filter((m) => ["get", "post", "put", "patch", "delete"].includes(m))
        .map((m) => ({ method: m.toUpperCase(), path })),
    );
  }
}
