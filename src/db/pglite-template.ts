/**
 * A freshly initialised PGlite database, made once at install time (`npm install` runs
 * scripts/build.mjs), from which a new embedded database starts instead of running initdb:
 * initdb in WebAssembly takes seconds (3–6 s on a 2-core machine), loading the template
 * well under two. Only an empty database is templated (no schema): migrations run as on any
 * new database. Without the file (a checkout not installed through npm, another PGlite
 * version) a database is created the ordinary way.
 */
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Where the template for the installed PGlite version lives, under the package's dist/. */
export function pgliteTemplatePath(): string | undefined {
  const root = packageRoot();
  if (root === undefined) return undefined;
  const version = pgliteVersion(root);
  return version === undefined
    ? undefined
    : path.join(root, "dist", `pglite-template-${version}.tar`);
}

/** The template's bytes (a tarball of a data directory), or undefined when there is none. */
export async function readPgliteTemplate(): Promise<Uint8Array | undefined> {
  const file = pgliteTemplatePath();
  if (file === undefined || !existsSync(file)) return undefined;
  try {
    return await readFile(file);
  } catch {
    return undefined; // unreadable: initdb as usual
  }
}

function packageRoot(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, "package.json")) && existsSync(path.join(dir, "migrations")))
      return dir;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

function pgliteVersion(root: string): string | undefined {
  try {
    const file = path.join(root, "node_modules", "@electric-sql", "pglite", "package.json");
    return (JSON.parse(readFileSync(file, "utf8")) as { version?: string }).version;
  } catch {
    return undefined;
  }
}
