/**
 * Benchmark: how the simulator scales with org size.
 *
 *   npx tsx bench/simulator-scale.ts [--users 100000] [--pages 200]
 *
 * Reports generation time and heap per 1k users, the time to page every user through v2
 * search (100 per page, with productAccess), and per-user last-active-dates latency while the
 * org is that large, so a regression shows as a ratio rather than a timed test.
 */
import { parseArgs } from "node:util";
import { generateOrg, startSimulator } from "../src/simulator/index.ts";

const { values } = parseArgs({
  options: {
    users: { type: "string", default: "100000" },
    pages: { type: "string", default: "200" },
  },
});
const USERS = Number(values.users);
const LA_CALLS = Number(values.pages);

async function main(): Promise<void> {
  const heap0 = process.memoryUsage().heapUsed;
  let t = performance.now();
  const org = generateOrg({ users: USERS, seed: "bench" });
  const genMs = performance.now() - t;
  const heapMb = (process.memoryUsage().heapUsed - heap0) / 1e6;
  console.log(
    `generate ${USERS} users: ${genMs.toFixed(0)} ms (${((genMs / USERS) * 1000).toFixed(1)} ms per 1k), ` +
      `heap +${heapMb.toFixed(0)} MB (${((heapMb / USERS) * 1000).toFixed(2)} MB per 1k)`,
  );

  const sim = await startSimulator({
    orgs: [{ users: USERS, seed: "bench" }],
    rateLimits: { defaultPerMinute: 1e9, lastActivePerMinute: 1e9 },
  });
  const headers = { Authorization: `Bearer ${sim.apiKey}`, "Content-Type": "application/json" };
  try {
    t = performance.now();
    let cursor: string | undefined;
    let users = 0;
    let pages = 0;
    do {
      const res = await fetch(`${sim.url}/admin/v2/orgs/${sim.orgId}/directories/-/users/search`, {
        method: "POST",
        headers,
        body: JSON.stringify(cursor ? { cursor } : { limit: 100, expand: ["productAccess"] }),
      });
      const body = (await res.json()) as { data: unknown[]; links?: { next?: string } };
      users += body.data.length;
      pages++;
      cursor = body.links?.next;
    } while (cursor);
    const searchMs = performance.now() - t;
    console.log(
      `v2 search: ${users} users in ${pages} pages, ${searchMs.toFixed(0)} ms (${(searchMs / pages).toFixed(2)} ms/page)`,
    );

    t = performance.now();
    for (let i = 0; i < LA_CALLS; i++) {
      const u = org.users[(i * 7919) % org.users.length]!;
      const res = await fetch(
        `${sim.url}/admin/v1/orgs/${sim.orgId}/directory/users/${u.accountId}/last-active-dates`,
        { headers },
      );
      await res.arrayBuffer();
    }
    const laMs = performance.now() - t;
    console.log(`last-active-dates: ${LA_CALLS} calls, ${(laMs / LA_CALLS).toFixed(2)} ms/call`);
    console.log(`stats: ${JSON.stringify(sim.stats.byRoute)}`);
  } finally {
    await sim.close();
  }
}

await main();
