/**
 * Checks a command makes before it touches the database or the API, so a setup problem ends
 * at once with exit code 2 and the name of what to fix — and nothing is created first.
 */
import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";
import type { Config } from "./config.ts";
import { ConfigError } from "./errors.ts";

export type Need = "orgs" | "reportsDir" | "dataDir";

/** @throws ConfigError listing every problem with what the command needs */
export function preflight(config: Config, needs: readonly Need[]): void {
  const problems: string[] = [];
  if (needs.includes("orgs") && config.orgs.length === 0) {
    problems.push(
      "no org to crawl: set ATLASSIAN_API_KEY to an organization API key created without scopes (admin.atlassian.com > Settings > API keys), or list orgs in the config file; `reclaim demo` shows Reclaim on a simulated org",
    );
  }
  if (needs.includes("reportsDir")) {
    const p = folderProblem(config.reportsDir);
    if (p) problems.push(`RECLAIM_REPORTS_DIR (or --reports-dir) ${p}`);
  }
  if (needs.includes("dataDir") && config.databaseUrl === undefined) {
    const p = folderProblem(config.dataDir);
    if (p) problems.push(`RECLAIM_DATA_DIR (or --data-dir) ${p}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
}

/**
 * Why `dir` cannot hold Reclaim's files, or null when it can: it is a writable folder, or it
 * does not exist yet and its nearest existing parent is a writable folder (it is created then).
 */
export function folderProblem(dir: string): string | null {
  const target = path.resolve(dir);
  let probe = target;
  for (;;) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(probe).isDirectory();
    } catch {
      const parent = path.dirname(probe);
      if (parent === probe) return `${target}: no part of this path exists`;
      probe = parent;
      continue;
    }
    if (!isDirectory) {
      return probe === target
        ? `${target} is a file, not a folder`
        : `${target} cannot be created: ${probe} is a file, not a folder`;
    }
    try {
      accessSync(probe, constants.W_OK | constants.X_OK);
    } catch {
      return probe === target
        ? `${target} is not writable by this user`
        : `${target} cannot be created: ${probe} is not writable by this user`;
    }
    return null;
  }
}
