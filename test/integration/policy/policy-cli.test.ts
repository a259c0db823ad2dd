/**
 * `reclaim policy …` through the real CLI (child processes) on both backends: help for every
 * subcommand, `plan --json` in the documented shape, one clear line and exit 1 on stale data.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.ts";
import { policyCommand } from "../../../src/cli/commands/policy.ts";
import { runCli } from "../../helpers/cli.ts";
import { describeEachBackend, type SharedTestDatabase } from "../../helpers/database.ts";
import { crawl, TIME_SCALE } from "./fixture.ts";

const tempDir = () => mkdtempSync(path.join(tmpdir(), "reclaim-policy-cli-"));

function configFile(dir: string, policy: Record<string, unknown>): string {
  const file = path.join(dir, "reclaim.config.json");
  writeFileSync(file, JSON.stringify({ policy }));
  return file;
}

describe("reclaim policy --help", () => {
  it("documents every subcommand", async () => {
    // One real process for the wiring (main → policy → subcommand); the rest in-process.
    const help = await runCli(["policy", "plan", "--help"]);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: reclaim policy plan/m);
    const policy = policyCommand();
    const top = policy.helpInformation();
    for (const sub of ["plan", "approve", "apply", "undo", "audit"]) {
      expect(top).toMatch(new RegExp(`^\\s+${sub}\\b`, "m"));
      const command = policy.commands.find((c) => c.name() === sub);
      expect(command, sub).toBeDefined();
      let text = "";
      command!.configureOutput({ writeOut: (s) => (text += s) });
      command!.outputHelp();
      expect(text).toMatch(new RegExp(`^Usage: policy ${sub}`, "m"));
      expect(text.length).toBeGreaterThan(300);
    }
  });
});

describeEachBackend("reclaim policy plan (CLI)", (backend) => {
  let sim: RunningSimulator;
  let shared: SharedTestDatabase;
  let dir: string;

  beforeAll(async () => {
    sim = await startSimulator({
      orgs: [{ users: 120, seed: "policy-cli" }],
      timeScale: TIME_SCALE,
    });
    shared = await backend.shared();
    const database = await shared.open();
    try {
      const { migrateToLatest } = await import("../../../src/db/migrate.ts");
      await migrateToLatest(database.db);
      expect((await crawl(database.db, sim)).status).toBe("succeeded");
    } finally {
      await database.close();
    }
    dir = tempDir();
  }, 60_000);
  afterAll(async () => {
    await shared?.drop();
    await sim?.close();
  });

  it("prints the plan as JSON in the documented shape and stores it", async () => {
    const config = configFile(dir, {
      rules: [{ name: "idle-90", idleDays: 90 }],
      maxActions: 7,
      maxPercent: 100,
    });
    const r = await runCli(
      ["--config", config, "--reports-dir", dir, "policy", "plan", "--org", sim.orgId, "--json"],
      { env: shared.env },
    );
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as {
      id: number;
      actions: Record<string, unknown>[];
      excluded: unknown[];
      cut: { reason: string }[];
    };
    expect(plan.id).toBeGreaterThan(0);
    expect(plan.actions).toHaveLength(7);
    for (const a of plan.actions) {
      expect(Object.keys(a).slice(0, 5)).toEqual([
        "accountId",
        "action",
        "product",
        "rule",
        "reason",
      ]);
      expect(a.action).toBe("remove-product-access");
      expect(a.rule).toBe("idle-90");
    }
    expect(Array.isArray(plan.excluded)).toBe(true);
    expect(plan.cut.length).toBeGreaterThan(0);
    expect(plan.cut[0]!.reason).toMatch(/maxActions/);
  });

  it("approves, applies and prints the audit through the CLI", async () => {
    const config = configFile(dir, {
      rules: [{ name: "idle-90", idleDays: 90 }],
      maxActions: 3,
      warnDays: 0,
    });
    const env = {
      ...shared.env,
      ATLASSIAN_API_URL: sim.url,
      ATLASSIAN_API_KEY: sim.apiKey,
      ATLASSIAN_ORG_ID: sim.orgId,
    };
    const cli = (...args: string[]) =>
      runCli(["--config", config, "--reports-dir", dir, "policy", ...args], { env });
    const planned = await cli("plan", "--org", sim.orgId, "--json");
    expect(planned.code, planned.stderr).toBe(0);
    const id = String((JSON.parse(planned.stdout) as { id: number }).id);
    const approved = await cli("approve", id, "--by", "alice");
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toMatch(new RegExp(`^plan ${id} approved by alice at `, "m"));
    const applied = await cli("apply", id, "--by", "bob");
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(
      new RegExp(`^plan ${id} \\(.*\\): applied; \\d+ writes this run`, "m"),
    );
    const audit = await cli("audit", "--plan", id, "--csv");
    expect(audit.code, audit.stderr).toBe(0);
    const rows = audit.stdout.trim().split("\r\n");
    expect(rows[0]).toMatch(/^audit_id,at,org_id,plan_id,action_id,step_id,phase,moment,actor,/);
    expect(rows.length).toBe(1 + 2 * sim.auditEvents().length);
    expect(rows.slice(1).every((r) => r.includes(",bob,"))).toBe(true);
    expect(audit.stdout).not.toContain(sim.apiKey);
  });

  it("refuses stale data with one line and exit 1", async () => {
    const config = configFile(dir, {
      rules: [{ name: "idle-90", idleDays: 90 }],
      maxDataAgeHours: 0.000001,
    });
    const r = await runCli(["--config", config, "--reports-dir", dir, "policy", "plan"], {
      env: shared.env,
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr
      .trim()
      .split("\n")
      .filter((l) => l.startsWith("reclaim:"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /more than policy\.maxDataAgeHours \(0\.000001\): run `(npx )?reclaim crawl` first$/,
    );
  });

  it("says what to do when there are no rules (exit 2)", async () => {
    const r = await runCli(
      ["--config", configFile(dir, {}), "--reports-dir", dir, "policy", "plan"],
      { env: shared.env },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/policy\.rules is empty: add at least one rule/);
  });
});
