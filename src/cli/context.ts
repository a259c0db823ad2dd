/**
 * What every command needs from the command line: the validated config (global flags
 * merged over env and the config file) and a consistent way to fail.
 */
import type { Command } from "commander";
import { loadConfig, type Config, type ConfigFlags } from "../config/config.ts";

/** Exit codes: 1 = the work failed, 2 = usage or configuration error. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Thrown for bad command-line input; main prints it and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Loads the config using the global flags and any command flags named in ConfigFlags. */
export function configFor(command: Command, extra: ConfigFlags = {}): Config {
  const flags = command.optsWithGlobals<ConfigFlags>();
  return loadConfig(process.env, { ...flags, ...extra });
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
