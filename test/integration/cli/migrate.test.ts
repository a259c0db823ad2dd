import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../helpers/cli.ts";
import { TEST_DATABASE_URL, testBackends } from "../../helpers/database.ts";

describe("reclaim migrate (CLI)", () => {
  it("migrates an embedded database in a fresh folder, then finds it up to date", async () => {
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), "reclaim-cli-")), "data");
    const first = await runCli(["migrate", "--data-dir", dataDir]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/applied 2026-11-28T00-initial-schema/);
    const second = await runCli(["migrate", "--data-dir", dataDir]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/up to date/);
  });

  it("fails on a bad DATABASE_URL with one line naming the host, never the password", async () => {
    const result = await runCli(["migrate"], {
      env: { DATABASE_URL: "postgres://reclaim:Sup3rS3cret@127.0.0.1:1/reclaim" },
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("127.0.0.1:1");
    expect(result.stderr).not.toContain("Sup3rS3cret");
  });

  it("exits 2 with every problem listed on bad configuration", async () => {
    const result = await runCli(["migrate"], {
      env: { DATABASE_URL: "mysql://nope", REPORT_TO: "not-an-address" },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/DATABASE_URL/);
    expect(result.stderr).toMatch(/not-an-address/);
  });

  // Needs a Postgres server: runs when RECLAIM_TEST_DATABASE_URL names one (as in CI), and is
  // skipped in a plain `npm test`, where only embedded PGlite exists.
  it.runIf(TEST_DATABASE_URL)("migrates a Postgres server given by DATABASE_URL", async () => {
    // A database of its own: the server's shared ones may hold anybody's migrations.
    const shared = await testBackends()
      .find((b) => b.name === "postgres")!
      .shared();
    try {
      const result = await runCli(["migrate"], { env: shared.env });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/applied 2026-11-28T00-initial-schema/);
    } finally {
      await shared.drop();
    }
  });

  it("answers --help for the program and each command", async () => {
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/organization API key created WITHOUT scopes/);
    const migrateHelp = await runCli(["migrate", "--help"]);
    expect(migrateHelp.code).toBe(0);
    expect(migrateHelp.stdout).toMatch(/--down/);
  });
});
