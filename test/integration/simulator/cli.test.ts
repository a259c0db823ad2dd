import { CommanderError } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { simulatorCommand } from "../../../src/cli/commands/simulator.ts";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("reclaim simulator", () => {
  it("serves an org, prints URL, org id and key, and stops on SIGINT", async () => {
    let out = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const run = simulatorCommand().parseAsync(
      [
        "--port",
        "0",
        "--users",
        "25",
        "--seed",
        "cli",
        "--api-key",
        "cli-key",
        "--org-id",
        "cli-org",
        "--rate-limit-reset",
        "minute",
        "--no-retry-after",
        "--rate-limit",
        "1",
      ],
      { from: "user" },
    );
    await vi.waitFor(() => expect(out).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/), {
      timeout: 10_000,
    });
    const url = /listening on (\S+)/.exec(out)![1]!;
    expect(out).toContain("cli-org");
    expect(out).toContain("cli-key");
    const res = await fetch(`${url}/admin/v1/orgs`, {
      headers: { Authorization: "Bearer cli-key" },
    });
    const body = (await res.json()) as { data: { id: string }[] };
    expect(body.data[0]?.id).toBe("cli-org");
    expect(res.headers.get("x-ratelimit-reset")).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/);
    expect(res.headers.get("x-ratelimit-limit")).toBe("1");
    // Real clock: a minute boundary can fall between two calls, so allow one extra attempt.
    let limited = res;
    for (let i = 0; i < 2 && limited.status !== 429; i++) {
      limited = await fetch(`${url}/admin/v1/orgs`, {
        headers: { Authorization: "Bearer cli-key" },
      });
    }
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBeNull();

    process.emit("SIGINT");
    await run;
    await expect(fetch(`${url}/admin/v1/orgs`)).rejects.toThrow();
  });

  it("applies --account-types, --faults and --license-limit", async () => {
    let out = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const run = simulatorCommand().parseAsync(
      [
        "--port",
        "0",
        "--users",
        "60",
        "--seed",
        "cli-flags",
        "--api-key",
        "k",
        "--org-id",
        "o",
        "--account-types",
        "legacy",
        "--faults",
        '{"endlessCursors":true,"errorRate":0.9}',
        "--fault-rate",
        "0",
        "--license-limit",
        "confluence=7",
        "--license-limit",
        "jira=9",
      ],
      { from: "user" },
    );
    await vi.waitFor(() => expect(out).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/), {
      timeout: 10_000,
    });
    const url = /listening on (\S+)/.exec(out)![1]!;
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${url}${path}`, {
        method: "POST",
        headers: { Authorization: "Bearer k", "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200); // --fault-rate 0 overrides the JSON errorRate
      return (await res.json()) as {
        data: { accountType?: string; attributes?: { typeKey: string; capacity: number | null } }[];
        links: { next?: string };
      };
    };
    const users = await post("/admin/v2/orgs/o/directories/-/users/search", { limit: 100 });
    expect(users.data.some((u) => u.accountType === "app")).toBe(true);
    expect(users.links.next).toBeDefined(); // endless
    const ws = await post("/admin/v2/orgs/o/workspaces", { limit: 100 });
    const caps = new Map(ws.data.map((w) => [w.attributes!.typeKey, w.attributes!.capacity]));
    expect(caps.get("confluence")).toBe(7);
    expect(caps.get("jira-software")).toBe(9);
    process.emit("SIGINT");
    await run;
  });

  it("reports an unknown --license-limit product as a usage error", async () => {
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const run = simulatorCommand().parseAsync(
      ["--port", "0", "--users", "5", "--license-limit", "trello=3"],
      { from: "user" },
    );
    await expect(run).rejects.toThrow(
      /--license-limit: no workspace has the id or product key trello/,
    );
    await expect(run).rejects.toHaveProperty("name", "UsageError");
  });

  it.each([
    ["--port", "70000"],
    ["--users", "-1"],
    ["--fault-rate", "1.5"],
    ["--latency-ms", "abc"],
    ["--time-scale", "0"],
    ["--legacy-v1", "maybe"],
    ["--rate-limit-reset", "weekly"],
    ["--rate-limit", "0"],
    ["--account-types", "bots"],
    ["--faults", "{not json"],
    ["--faults", "[1]"],
    ["--faults", '{"errorRate":3}'],
    ["--license-limit", "confluence"],
    ["--license-limit", "confluence=-2"],
  ])("rejects %s %s with a usage error", async (flag, value) => {
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const run = simulatorCommand().parseAsync([flag, value], { from: "user" });
    await expect(run).rejects.toBeInstanceOf(CommanderError);
  });
});
