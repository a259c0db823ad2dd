import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { hostname, tmpdir, uptime } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  DataDirInUseError,
  LOCK_FILE,
  lockDataDir,
  type LockHolder,
} from "../../../src/db/data-dir-lock.ts";
import { REPO_ROOT } from "../../helpers/cli.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "reclaim-lock-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lockFile = () => path.join(dir, LOCK_FILE);

function holder(overrides: Partial<LockHolder>): LockHolder {
  return {
    pid: 999_999,
    host: hostname(),
    since: "2026-12-01T10:00:00.000Z",
    bootedAt: new Date(Date.now() - uptime() * 1000).toISOString(),
    command: "reclaim schedule",
    token: "earlier",
    ...overrides,
  };
}

/** A pid that surely belongs to no running process: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.on("exit", resolve));
  return child.pid!;
}

describe("data dir lock", () => {
  it("writes the holder's pid, host and start time, and removes the file on release", async () => {
    const lock = await lockDataDir(dir, { command: "reclaim crawl" });
    const stored = JSON.parse(await readFile(lockFile(), "utf8")) as LockHolder;
    expect(stored).toMatchObject({ pid: process.pid, host: hostname(), command: "reclaim crawl" });
    expect(Number.isNaN(Date.parse(stored.since))).toBe(false);
    await lock.release();
    await expect(readFile(lockFile())).rejects.toMatchObject({ code: "ENOENT" });
    // Released: the folder can be taken again.
    await (await lockDataDir(dir)).release();
  });

  it("refuses a second open in the same process, even when both start at once", async () => {
    const results = await Promise.allSettled([lockDataDir(dir), lockDataDir(dir)]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((r) => r.status === "rejected");
    expect(refused?.reason).toBeInstanceOf(DataDirInUseError);
    for (const r of results) if (r.status === "fulfilled") await r.value.release();
  });

  it("refuses a live holder with its pid and the way out", async () => {
    await writeFile(lockFile(), JSON.stringify(holder({ pid: 4242 })));
    const error = await lockDataDir(dir, { isAlive: (pid) => pid === 4242 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DataDirInUseError);
    expect((error as Error).message).toBe(
      `data dir ${dir} is in use by pid 4242 since 2026-12-01T10:00:00.000Z (reclaim schedule); stop it, or set DATABASE_URL to use a Postgres server that several processes can share`,
    );
    // The live holder's file is left alone.
    expect(JSON.parse(await readFile(lockFile(), "utf8"))).toMatchObject({ pid: 4242 });
  });

  it("takes over the lock of a process that is gone", async () => {
    await writeFile(lockFile(), JSON.stringify(holder({ pid: await deadPid() })));
    const lock = await lockDataDir(dir);
    expect(JSON.parse(await readFile(lockFile(), "utf8"))).toMatchObject({ pid: process.pid });
    await lock.release();
  });

  it("takes over a lock from before a reboot, even if its pid is running now", async () => {
    const beforeBoot = new Date(Date.now() - 1000 * 86_400 * 400).toISOString();
    await writeFile(lockFile(), JSON.stringify(holder({ pid: 4242, bootedAt: beforeBoot })));
    const lock = await lockDataDir(dir, { isAlive: () => true });
    expect(lock.holder.pid).toBe(process.pid);
    await lock.release();
  });

  it("counts another host's lock as live (its processes cannot be seen) and says where", async () => {
    await writeFile(lockFile(), JSON.stringify(holder({ host: "other-host", pid: 7 })));
    await expect(lockDataDir(dir, { isAlive: () => false })).rejects.toThrow(
      /in use by pid 7 on host other-host .*delete .*reclaim\.lock/,
    );
  });

  it("waits out a half-written lock file, then takes it over once it is old", async () => {
    await writeFile(lockFile(), "");
    await expect(lockDataDir(dir)).rejects.toThrow(/being opened by another process right now/);
    const old = new Date(Date.now() - 60_000);
    await utimes(lockFile(), old, old);
    const lock = await lockDataDir(dir);
    expect(lock.holder.pid).toBe(process.pid);
    await lock.release();
  });

  it("lets exactly one of several processes take over the same stale lock", async () => {
    await writeFile(lockFile(), JSON.stringify(holder({ pid: await deadPid() })));
    const script = `
      import { lockDataDir } from ${JSON.stringify(path.join(REPO_ROOT, "src/db/data-dir-lock.ts"))};
      try {
        await lockDataDir(process.argv[1]);
        process.stdout.write("won");
        // Hold the lock until the parent has counted.
        process.stdin.resume();
        process.stdin.on("end", () => process.exit(0));
      } catch (e) {
        process.stdout.write(e.name);
        process.exit(0);
      }`;
    const children = Array.from({ length: 4 }, () =>
      spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script, dir], {
        cwd: REPO_ROOT,
        stdio: ["pipe", "pipe", "inherit"],
      }),
    );
    const outputs = await Promise.all(
      children.map(
        (child) =>
          new Promise<string>((resolve) => {
            let out = "";
            child.stdout.on("data", (d: Buffer) => {
              out += d.toString();
              resolve(out);
            });
            child.on("exit", () => resolve(out));
          }),
      ),
    );
    for (const child of children) child.stdin.end();
    await Promise.all(
      children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on("exit", r)))),
    );
    expect(outputs.filter((o) => o === "won")).toHaveLength(1);
    expect(
      outputs
        .filter((o) => o !== "won")
        .every((o) => o.startsWith("DataDirInUseError") || o === "Error"),
    ).toBe(true);
  });
});
