import { randomUUID } from "node:crypto";

/** What a route handler returns; the server adds rate-limit headers and serializes `body`. */
export interface SimResponse {
  status: number;
  /** JSON body; omitted for 204. A string is sent as-is with `text/html`. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** A JSON response with `status` and `body`. */
export function json(status: number, body: unknown): SimResponse {
  return { status, body };
}

/** `204 No Content`. */
export function noContent(): SimResponse {
  return { status: 204 };
}

/** Admin service errors: `{"errors":[{id,status,code,title,detail}]}` (§4.2). `status` is a string. */
export function adminErrors(
  status: number,
  code: string,
  title: string,
  detail: string,
): SimResponse {
  return {
    status,
    body: { errors: [{ id: randomUUID(), status: String(status), code, title, detail }] },
  };
}

/** Gateway errors (401, 429, unknown paths): `{"code":<number>,"message":...}` (§4.1). */
export function proxyError(status: number, message: string): SimResponse {
  return { status, body: { code: status, message } };
}

/** A bare `ApplicationError` object (the workspaces endpoint's error shape, §3.10). */
export function applicationError(
  status: number,
  code: string,
  title: string,
  detail: string,
): SimResponse {
  return { status, body: { id: randomUUID(), status: String(status), code, title, detail } };
}

/** User-management errors, discriminated by `key` (§4.5). */
export function umError(status: number, key: string, context?: unknown): SimResponse {
  return { status, body: context === undefined ? { key } : { key, context } };
}

/** An HTML error page, as some gateways answer 429/5xx (fault injection). */
export function htmlError(status: number, headers?: Record<string, string>): SimResponse {
  return {
    status,
    body: `<!DOCTYPE html><html><head><title>${status}</title></head><body><h1>Error ${status}</h1><p>The server could not handle the request.</p></body></html>`,
    ...(headers ? { headers } : {}),
  };
}

export const invalidCursor = (): SimResponse =>
  adminErrors(
    400,
    "ADMIN-400-1",
    "Invalid page cursor",
    "The cursor is invalid or has expired; restart pagination.",
  );

export const badRequest = (detail: string): SimResponse =>
  adminErrors(400, "ADMIN-400-19", "Bad Request", detail);
