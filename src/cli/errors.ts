/**
 * Exit codes, the usage error, and how to name the CLI in messages — light enough for the
 * entry point to import before any command is loaded.
 */

/** Exit codes: 1 = the work failed, 2 = usage or configuration error. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Thrown for bad command-line input; main prints it and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export function isUsageError(error: unknown): error is UsageError {
  return error instanceof UsageError;
}

/**
 * How the person at the keyboard starts Reclaim: `reclaim` when it is installed globally,
 * `npx reclaim` in a checkout or as a project dependency (where a bare `reclaim` is not on
 * the PATH).
 */
export function cliName(script = process.argv[1] ?? ""): string {
  return /[\\/]lib[\\/]node_modules[\\/]/.test(script) ? "reclaim" : "npx reclaim";
}

/** Rewrites every `reclaim …` suggestion in a message into a command that works from here. */
export function withCliName(text: string, name = cliName()): string {
  return name === "reclaim" ? text : text.replace(/`reclaim(?=[ `])/g, `\`${name}`);
}
