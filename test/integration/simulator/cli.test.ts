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

  it.each([
    ["--port", "70000"],
    ["--users", "-1"],
    ["--fault-rate", "1.5"],
    ["--latency-ms", "abc"],
    ["--time-scale", "0"],
    ["--legacy-v1", "maybe"],
    ["--rate-limit-reset", "weekly"],
    ["--rate-limit", "0"],
  ])("rejects %s %s with a usage error", async (flag, value) => {
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const run = simulatorCommand().parseAsync([flag, value], { from: "user" });
    await expect(run).rejects.toBeInstanceOf(CommanderError);
  });
});
