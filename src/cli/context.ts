/**
 * What every command needs from the command line: the validated config (global flags
 * merged over env and the config file) and a consistent way to fail.
 */
import type { Command } from "commander";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseEnv } from "node:util";
import { loadConfig, type Config, type ConfigFlags } from "../config/config.ts";
import { ConfigError } from "../config/errors.ts";
import { UsageError } from "./errors.ts";

export {
  cliName,
  EXIT_FAILURE,
  EXIT_USAGE,
  isUsageError,
  UsageError,
  withCliName,
} from "./errors.ts";

/** Loads the config using the global flags and any command flags named in ConfigFlags. */
export function configFor(command: Command, extra: ConfigFlags = {}): Config {
  const flags = command.optsWithGlobals<ConfigFlags>();
  return loadConfig(environment(), { ...flags, ...extra });
}

/**
 * The environment: the variables of a `.env` file in the current folder, under the real
 * environment variables (which win).
 * @throws ConfigError when `.env` cannot be read or parsed
 */
export function environment(cwd = process.cwd()): Record<string, string | undefined> {
  const file = path.join(cwd, ".env");
  if (!existsSync(file)) return process.env;
  let parsed: Record<string, string>;
  try {
    parsed = parseEnv(readFileSync(file, "utf8")) as Record<string, string>;
  } catch (error) {
    throw new ConfigError([`${file}: ${error instanceof Error ? error.message : String(error)}`]);
  }
  return { ...parsed, ...process.env };
}

/** Parses a positive integer flag, or throws UsageError naming the flag. */
export function parsePositiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0)
      throw new UsageError(`${flag} must be a positive integer, got "${value}"`);
    return n;
  };
}

/**
 * Runs `fn` with a signal that aborts on SIGINT/SIGTERM, so long work stops at a safe point
 * (a crawl keeps its checkpoint and resumes next time) and resources close in `finally`.
 * A second signal exits at once.
 */
export async function untilInterrupted<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`\n${signal}: stopping at the next safe point (again to exit now)…\n`);
    controller.abort(new Error(`interrupted by ${signal}; run the command again to resume`));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await fn(controller.signal);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
