#!/usr/bin/env node
// Bundles the CLI's TypeScript into dist/ so `reclaim` starts without transpiling anything.
// Runs on `npm install` (the `prepare` script) and `npm run build`. Dependencies stay in
// node_modules (not bundled); each command is its own chunk, loaded only when it runs.
import { build } from "esbuild";
import { rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outdir = path.join(root, "dist");

await rm(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { reclaim: "src/cli/main.ts" },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  sourcemap: "linked",
  chunkNames: "chunks/[name]-[hash]",
  outExtension: { ".js": ".mjs" },
  logLevel: "warning",
});

// A freshly initialised embedded database (src/db/pglite-template.ts): a new PGlite database
// starts from it instead of running initdb, which takes seconds in WebAssembly.
const { PGlite } = await import("@electric-sql/pglite");
const { readFile, writeFile } = await import("node:fs/promises");
const pgliteVersion = JSON.parse(
  await readFile(path.join(root, "node_modules/@electric-sql/pglite/package.json"), "utf8"),
).version;
const fresh = await PGlite.create("memory://");
const template = await fresh.dumpDataDir("none");
await fresh.close();
await writeFile(
  path.join(outdir, `pglite-template-${pgliteVersion}.tar`),
  Buffer.from(await template.arrayBuffer()),
);
