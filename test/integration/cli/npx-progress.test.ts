/**
 * `npx reclaim …` in a checkout shows Reclaim's progress line, not npm's spinner drawn over it
 * (npm 10+): the project's .npmrc turns npm's progress off. (Asking npm itself from a test
 * says nothing: npm's progress is off anyway without a terminal, and under `npx vitest` npm
 * lists its defaults as the project's settings.)
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

describe("npx in a checkout", () => {
  it("runs with npm's own progress spinner off (.npmrc)", async () => {
    const settings = (await readFile(path.join(root, ".npmrc"), "utf8"))
      .split("\n")
      .map((line) => line.replace(/[#;].*$/, "").trim())
      .filter((line) => line !== "")
      .map((line) => line.split("=").map((part) => part.trim()));
    expect(Object.fromEntries(settings)).toMatchObject({ progress: "false" });
  });
});
