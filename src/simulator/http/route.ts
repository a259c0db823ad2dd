import type { SimResponse } from "../errors.ts";
import type { Faults } from "../faults.ts";
import type { ResolvedOptions } from "../options.ts";
import type { OrgState, WriteOptions } from "../org-state.ts";
import type { RateClass } from "../rate-limiter.ts";

/** How the gateway and service answer auth failures and missing resources on a route. */
export type ApiFamily = "v1" | "v2" | "workspaces" | "user-management";

/** Everything a handler may read. Handlers never touch the socket. */
export interface RouteContext {
  state: OrgState;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Parsed JSON body, or undefined when there was none. */
  body: unknown;
  /** Injected clock reading for this request (ms epoch). */
  now: number;
  /** e.g. `http://127.0.0.1:4010`; link URLs are built from it. */
  baseUrl: string;
  options: ResolvedOptions;
  /** How writes made by this request apply: time, read lag, delay, and the request itself
   * (recorded on the audit event). */
  write: WriteOptions;
  /** The fault configuration in force (data faults shape the responses). */
  faults: Faults;
}

export interface Route {
  method: "GET" | "POST" | "DELETE" | "PUT" | "PATCH";
  /** Path template, e.g. `/admin/v2/orgs/{orgId}/directories`. */
  template: string;
  /** Stable name used in stats, e.g. `users.search`. */
  name: string;
  rateClass: RateClass;
  family: ApiFamily;
  /** Whether the route reads one user named by `{accountId}`/`{userId}` (always-fail faults). */
  readsOneUser?: boolean;
  /** `code` of the 500 body where the spec names one other than `ADMIN-500-1`. */
  internalErrorCode?: string;
  handle(ctx: RouteContext): SimResponse;
}

export interface CompiledRoute extends Route {
  regex: RegExp;
  keys: string[];
}

/** Compiles templates into regexes; literal segments win because routes are tried in order. */
export function compileRoutes(routes: Route[]): CompiledRoute[] {
  return routes.map((r) => {
    const keys: string[] = [];
    const pattern = r.template
      .split("/")
      .map((seg) => {
        const m = /^\{(\w+)\}$/.exec(seg);
        if (!m?.[1]) return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        keys.push(m[1]);
        return "([^/]+)";
      })
      .join("/");
    return { ...r, regex: new RegExp(`^${pattern}/?$`), keys };
  });
}

/** Finds the route for a method and path; `pathKnown` tells a 405-ish miss from a 404. */
export function matchRoute(
  routes: CompiledRoute[],
  method: string,
  path: string,
):
  | { route: CompiledRoute; params: Record<string, string> }
  | { route: undefined; pathKnown: boolean } {
  let pathKnown = false;
  for (const route of routes) {
    const m = route.regex.exec(path);
    if (!m) continue;
    pathKnown = true;
    if (route.method !== method) continue;
    const params: Record<string, string> = {};
    route.keys.forEach((k, i) => {
      params[k] = decodeURIComponent(m[i + 1] ?? "");
    });
    return { route, params };
  }
  return { route: undefined, pathKnown };
}
