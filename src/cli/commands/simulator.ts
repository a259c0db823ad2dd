import { Command, InvalidArgumentError, Option } from "commander";
import { startSimulator, validateFaults } from "../../simulator/index.ts";
import type { FaultOptions, RunningSimulator } from "../../simulator/index.ts";
import { UsageError } from "../context.ts";

/** Parses an integer flag within [min, max]; commander reports the message and exits 1. */
function integer(name: string, min: number, max: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        `${name} must be an integer from ${min} to ${max}, got "${raw}".`,
      );
    }
    return n;
  };
}

/** Parses a number flag within [min, max] (inclusive unless `exclusiveMin`). */
function decimal(name: string, min: number, max: number, exclusiveMin = false) {
  return (raw: string): number => {
    const n = Number(raw);
    const lowOk = exclusiveMin ? n > min : n >= min;
    if (raw.trim() === "" || !Number.isFinite(n) || !lowOk || n > max) {
      const range = exclusiveMin
        ? `greater than ${min} and at most ${max}`
        : `from ${min} to ${max}`;
      throw new InvalidArgumentError(`${name} must be a number ${range}, got "${raw}".`);
    }
    return n;
  };
}

/** Parses `--faults` JSON into fault options; validation of the values happens at start. */
function faultsJson(raw: string): FaultOptions {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InvalidArgumentError(`--faults must be a JSON object, e.g. '{"errorRate":0.1}'.`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new InvalidArgumentError(`--faults must be a JSON object, e.g. '{"errorRate":0.1}'.`);
  try {
    return validateFaults(parsed);
  } catch (err) {
    if (err instanceof RangeError) throw new InvalidArgumentError(`--faults: ${err.message}`);
    throw err;
  }
}

/** Collects repeated `--license-limit product=seats` flags. */
function licenseLimit(raw: string, previous: Record<string, number> = {}): Record<string, number> {
  const m = /^([^=\s]+)=(\d+)$/.exec(raw.trim());
  if (!m?.[1] || m[2] === undefined)
    throw new InvalidArgumentError(
      `--license-limit must be <product key or workspace ARI>=<seats>, e.g. jira-software=100, got "${raw}".`,
    );
  return { ...previous, [m[1]]: Number(m[2]) };
}

interface SimulatorFlags {
  port: number;
  host: string;
  users: number;
  seed: string;
  apiKey?: string;
  orgId?: string;
  latencyMs?: number;
  faultRate?: number;
  timeScale: number;
  legacyV1: "on" | "off" | "sunset";
  rateLimit?: number;
  retryAfter: boolean;
  rateLimitReset: "iso" | "minute";
  accountTypes: "spec" | "legacy";
  faults?: FaultOptions;
  licenseLimit?: Record<string, number>;
}

/** Waits for SIGINT or SIGTERM, then closes the simulator. */
function untilSignal(sim: RunningSimulator): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      process.stderr.write(`\n${signal}: stopping the simulator…\n`);
      sim.close().then(resolve, reject);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

/**
 * `reclaim simulator`: serves a simulated Atlassian organization over HTTP until SIGINT/SIGTERM.
 * Prints the base URL, org id and the (test) API key.
 */
export function simulatorCommand(): Command {
  // exitOverride: usage errors throw a CommanderError that the entry point maps to exit code 2.
  return new Command("simulator")
    .exitOverride()
    .description(
      "Serve a simulated Atlassian Admin API organization (seeded, rate limited) over HTTP",
    )
    .option("--port <port>", "TCP port (0 picks a free one)", integer("--port", 0, 65535), 4010)
    .option("--host <host>", "interface to bind", "127.0.0.1")
    .option("--users <n>", "number of users to generate", integer("--users", 0, 2_000_000), 200)
    .option("--seed <seed>", "seed for the generator (same seed, same org)", "reclaim")
    .option("--api-key <key>", "API key to accept (default derived from the seed)")
    .option("--org-id <id>", "organization id (default derived from the seed)")
    .option("--latency-ms <ms>", "added latency per request", integer("--latency-ms", 0, 600_000))
    .option(
      "--fault-rate <rate>",
      "probability of a random 5xx per request (0..1)",
      decimal("--fault-rate", 0, 1),
    )
    .option(
      "--time-scale <x>",
      "speed-up of API time (60 = a one-minute rate window lasts one second)",
      decimal("--time-scale", 0, 1_000_000, true),
      1,
    )
    .addOption(
      new Option("--legacy-v1 <mode>", "v1 directory write endpoints")
        .choices(["on", "off", "sunset"])
        .default("sunset"),
    )
    .option(
      "--rate-limit <n>",
      "requests per API minute per org for endpoints without a published limit (default 1000)",
      integer("--rate-limit", 1, 1_000_000_000),
    )
    .option("--no-retry-after", "omit Retry-After on 429 (clients must use X-RateLimit-Reset)")
    .addOption(
      new Option(
        "--rate-limit-reset <format>",
        "X-RateLimit-Reset format (minute = as observed live)",
      )
        .choices(["iso", "minute"])
        .default("iso"),
    )
    .addOption(
      new Option(
        "--account-types <mode>",
        "app and customer accounts: spec = not v2 directory users (v2 accountType is atlassian only); legacy = listed in v2 as app/customer",
      )
        .choices(["spec", "legacy"])
        .default("spec"),
    )
    .option(
      "--faults <json>",
      'fault options as JSON (see src/simulator/README.md), e.g. \'{"stall":{"rate":0.01}}\'; --latency-ms and --fault-rate override their fields',
      faultsJson,
    )
    .option(
      "--license-limit <product=seats>",
      "enforce a seat limit (licence-limit 409 on writes that add access); repeatable",
      licenseLimit,
    )
    .action(async (flags: SimulatorFlags) => {
      const faults: FaultOptions = { ...flags.faults };
      if (flags.latencyMs !== undefined) faults.latencyMs = flags.latencyMs;
      if (flags.faultRate !== undefined) faults.errorRate = flags.faultRate;
      const started = Date.now();
      let sim: RunningSimulator;
      try {
        sim = await startSimulator({
          port: flags.port,
          host: flags.host,
          timeScale: flags.timeScale,
          legacyV1: flags.legacyV1,
          retryAfterHeader: flags.retryAfter,
          ...(flags.rateLimit !== undefined
            ? { rateLimits: { defaultPerMinute: flags.rateLimit } }
            : {}),
          rateLimitResetFormat: flags.rateLimitReset,
          accountTypes: flags.accountTypes,
          faults,
          orgs: [
            {
              users: flags.users,
              seed: flags.seed,
              ...(flags.licenseLimit ? { licenseLimits: flags.licenseLimit } : {}),
              ...(flags.apiKey !== undefined ? { apiKey: flags.apiKey } : {}),
              ...(flags.orgId !== undefined ? { orgId: flags.orgId } : {}),
            },
          ],
        });
      } catch (err) {
        // Option values only the generated org can check (e.g. an unknown --license-limit product).
        if (err instanceof RangeError)
          throw new UsageError(err.message.replace(/^licenseLimits/, "--license-limit"));
        throw err;
      }
      const org = sim.orgs[0];
      process.stdout.write(
        [
          `Atlassian Admin API simulator listening on ${sim.url}`,
          `  org id:   ${sim.orgId}${org ? ` (${org.name}, ${org.users.length} users, generated in ${Date.now() - started} ms)` : ""}`,
          `  API key:  ${sim.apiKey}   (test key for this simulator only)`,
          `  try:      curl -H "Authorization: Bearer ${sim.apiKey}" ${sim.url}/admin/v1/orgs`,
          "Press Ctrl+C to stop.",
          "",
        ].join("\n"),
      );
      await untilSignal(sim);
    });
}
