/**
 * Loaded with `node --import <this file>` into a `reclaim` child process: makes the disk under
 * RECLAIM_TEST_FULL_DISK (a folder) behave as full. A file opened for writing there is created
 * (empty, as on a real full disk), but its write stream writes to /dev/full, where the kernel
 * answers every write with ENOSPC. Synchronous writes to file descriptors opened there fail
 * with ENOSPC too (PGlite's file system writes that way). Everything else is untouched.
 * Patching the `fs` module object reaches every user of it, libraries included.
 *
 * Plain JavaScript: a TypeScript preload would need tsx's loader registered in NODE_OPTIONS,
 * which deadlocks with the loader bin/reclaim.js registers itself.
 */
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import path from "node:path";

const root = process.env.RECLAIM_TEST_FULL_DISK;

if (root) {
  const top = path.resolve(root);
  const under = (file) => {
    const full = path.resolve(String(file));
    return full === top || full.startsWith(`${top}${path.sep}`);
  };
  const enospc = (syscall) =>
    Object.assign(new Error(`ENOSPC: no space left on device, ${syscall}`), {
      code: "ENOSPC",
      errno: -28,
      syscall,
    });

  const createWriteStream = fs.createWriteStream;
  fs.createWriteStream = (file, options) => {
    if (!under(file)) return createWriteStream(file, options);
    const flags = (typeof options === "object" ? options.flags : undefined) ?? "w";
    fs.closeSync(fs.openSync(file, flags)); // the file appears, as on a real disk
    return createWriteStream("/dev/full", { flags: "w" });
  };

  const onFullDisk = new Set();
  const openSync = fs.openSync;
  fs.openSync = (file, flags = "r", mode) => {
    const fd = openSync(file, flags, mode);
    if (under(file) && flags !== "r" && flags !== 0) onFullDisk.add(fd);
    return fd;
  };
  const writeSync = fs.writeSync;
  fs.writeSync = (fd, ...rest) => {
    if (onFullDisk.has(fd)) throw enospc("write");
    return writeSync(fd, ...rest);
  };
  const writeFileSync = fs.writeFileSync;
  fs.writeFileSync = (file, ...rest) => {
    if (typeof file === "number" ? onFullDisk.has(file) : under(file)) throw enospc("write");
    return writeFileSync(file, ...rest);
  };
  const closeSync = fs.closeSync;
  fs.closeSync = (fd) => {
    onFullDisk.delete(fd);
    closeSync(fd);
  };

  syncBuiltinESMExports();
}
