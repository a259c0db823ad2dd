/** The configuration error, apart from the (heavier) loader so the CLI entry stays light. */

/** Every problem found, one per line; exit code 2 at the CLI. */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof ConfigError;
}
