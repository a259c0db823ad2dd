import type { AtlassianClientOptions } from "../../../src/atlassian/index.ts";
import { createAtlassianClient } from "../../../src/atlassian/index.ts";
import type { RunningSimulator, SimulatorOptions } from "../../../src/simulator/index.ts";
import { startSimulator } from "../../../src/simulator/index.ts";

export const SIM_KEY = "sim-key-do-not-leak-7f3a9c";

/** Starts a simulator with one seeded org and a client pointed at it over real HTTP. */
export async function startWithClient(
  sim: SimulatorOptions = {},
  client: Partial<AtlassianClientOptions> = {},
): Promise<{
  sim: RunningSimulator;
  client: ReturnType<typeof createAtlassianClient>;
  orgId: string;
}> {
  const running = await startSimulator({
    orgs: [{ users: 60, seed: "client-it", apiKey: SIM_KEY, orgId: "org-client-it" }],
    ...sim,
  });
  return { sim: running, client: clientFor(running, client), orgId: running.orgId };
}

/** A client pointed at a running simulator with its org's key (another process, say). */
export function clientFor(
  running: RunningSimulator,
  client: Partial<AtlassianClientOptions> = {},
): ReturnType<typeof createAtlassianClient> {
  return createAtlassianClient({
    apiKey: running.apiKey,
    baseUrl: running.url,
    timeoutMs: 10_000,
    retry: { baseDelayMs: 20, maxDelayMs: 200 },
    ...client,
  });
}
