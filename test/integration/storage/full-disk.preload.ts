/**
 * Loaded with `node --import tsx --import <this file>` into a `reclaim` child process: makes
 * the disk under RECLAIM_TEST_FULL_DISK (a folder) behave as full. A file opened for writing
 * there is created (empty, as on a real full disk), but its write stream writes to /dev/full,
 * where the kernel answers every write with ENOSPC. Synchronous writes to file descriptors
 * opened there fail with ENOSPC too (PGlite's file system writes that way). Everything else is
 * untouched. Patching the `fs` module object reaches every user of it, libraries included.
 */
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import path from "node:path";

const root = process.env.RECLAIM_TEST_FULL_DISK;

if (root) {
  const top = path.resolve(root);
  const under = (file: fs.PathLike): boolean => {
    const full = path.resolve(String(file));
    return full === top || full.startsWith(`${top}${path.sep}`);
  };
  const enospc = (syscall: string) =>
    Object.assign(new Error(`ENOSPC: no space left on device, ${syscall}`), {
      code: "ENOSPC",
      errno: -28,
      syscall,
    });

  const createWriteStream = fs.createWriteStream;
  fs.createWriteStream = (file: fs.PathLike, options?: Parameters<typeof createWriteStream>[1]) => {
    if (!under(file)) return createWriteStream(file, options);
    const flags = (typeof options === "object" ? options.flags : undefined) ?? "w";
    fs.closeSync(fs.openSync(file, flags)); // the file appears, as on a real disk
    return createWriteStream("/dev/full", { flags: "w" });
  };

  const onFullDisk = new Set<number>();
  const openSync = fs.openSync;
  fs.openSync = ((file: fs.PathLike, flags: fs.OpenMode = "r", mode?: fs.Mode) => {
    const fd = openSync(file, flags, mode);
    if (under(file) && flags !== "r" && flags !== 0) onFullDisk.add(fd);
    return fd;
  }) as typeof fs.openSync;
  const writeSync = fs.writeSync;
  fs.writeSync = (fd: number, ...rest: unknown[]) => {
    if (onFullDisk.has(fd)) throw enospc("write");
    return (writeSync as (fd: number, ...args: unknown[]) => number)(fd, ...rest);
  };
  const writeFileSync = fs.writeFileSync;
  fs.writeFileSync = (file: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
    if (typeof file === "number" ? onFullDisk.has(file) : under(file)) throw enospc("write");
    return (writeFileSync as (file: fs.PathOrFileDescriptor, ...args: unknown[]) => void)(
      file,
      ...rest,
    );
  };
  const closeSync = fs.closeSync;
  fs.closeSync = (fd: number) => {
    onFullDisk.delete(fd);
    closeSync(fd);
  };

  syncBuiltinESMExports();
}
