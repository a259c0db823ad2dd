/**
 * The Admin API client of a plan's org: the process's one client for that org (from the
 * composition root's registry), so policy reads and writes share the crawl's rate limiter.
 */
import type { OrgClients } from "../app/org-clients.ts";
import type { AtlassianClient } from "../atlassian/index.ts";
import { PolicyRefusal } from "./errors.ts";

/**
 * The configured org with this id (an org configured without an id is asked for it once).
 * @throws PolicyRefusal when no configured API key belongs to the org
 */
export async function clientForOrg(
  clients: OrgClients | undefined,
  orgId: string,
  signal?: AbortSignal,
): Promise<AtlassianClient> {
  const all = clients?.all() ?? [];
  const exact = all.find((c) => c.org.orgId === orgId);
  if (exact) return exact.client;
  for (const c of all.filter((x) => x.org.orgId === undefined)) {
    if ((await c.orgId(signal)) === orgId) return c.client;
  }
  throw new PolicyRefusal(
    `no API key configured for org ${orgId}: set ATLASSIAN_API_KEY (and ATLASSIAN_ORG_ID=${orgId}) or list the org in the config file`,
  );
}
