/** `npm start` (reclaim demo) shows a policy plan and never applies it. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../../src/db/connect.ts";
import { runCli } from "../../helpers/cli.ts";

describe("reclaim demo shows a plan", () => {
  it("prints a dry-run plan and leaves it pending, with no write made", async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), "reclaim-policy-demo-"));
    const r = await runCli(["demo", "--users", "300"], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^plan \d+ for Demo Org \(.*\) \(dry run; data as of /m);
    expect(r.stdout).toMatch(/next: `(npx )?reclaim policy approve \d+`/);
    expect(r.stdout).toMatch(/^ {2}workbook: reports\/reclaim-demo-org-plan-\d+\.xlsx$/m);
    expect(r.stdout).toContain("(the demo never applies a plan)");
    const database = await openDatabase({ dataDir: path.join(cwd, "data", "demo") });
    try {
      const plans = await database.db.selectFrom("policy_plans").select(["status"]).execute();
      expect(plans.map((p) => p.status)).toEqual(["pending"]);
      const actions = await database.db.selectFrom("policy_actions").select("state").execute();
      expect(actions.length).toBeGreaterThan(0);
      expect(new Set(actions.map((a) => a.state))).toEqual(new Set(["planned"]));
      expect(await database.db.selectFrom("policy_steps").selectAll().execute()).toEqual([]);
      expect(await database.db.selectFrom("policy_audit").selectAll().execute()).toEqual([]);
    } finally {
      await database.close();
    }
  });
});
