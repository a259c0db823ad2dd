import type { RunningSimulator } from "../../../src/simulator/index.ts";
import type { ErrorBody } from "./api-types.ts";

/** A parsed response: status, headers and body (JSON when it parses, else undefined). */
export interface SimReply<T = ErrorBody> {
  status: number;
  headers: Headers;
  /** The JSON body as the caller expects it; `text` holds the raw bytes. */
  body: T;
  text: string;
}

/** Minimal fetch helper for the simulator tests (real HTTP, Bearer auth by default). */
export function client(sim: RunningSimulator, apiKey: string = sim.apiKey) {
  async function call<T = ErrorBody>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<SimReply<T>> {
    const url = path.startsWith("http") ? path : `${sim.url}${path}`;
    const res = await fetch(url, {
      method,
      headers: {
        Accept: "application/json",
        ...(apiKey ? { Authorization: `Bearer ${apiKey}` } : {}),
        ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }
  return {
    get: <T = ErrorBody>(path: string, headers?: Record<string, string>) =>
      call<T>("GET", path, undefined, headers),
    post: <T = ErrorBody>(path: string, body?: unknown) => call<T>("POST", path, body),
    del: <T = ErrorBody>(path: string) => call<T>("DELETE", path),
    call,
  };
}
