/**
 * Keeps the workbook attachment under the configured size: attached as is when it fits,
 * zipped when that makes it fit, otherwise replaced by a note saying where the file is.
 * Never silently dropped.
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import JSZip from "jszip";
import type { AttachmentPlan } from "./weekly-message.ts";

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

export async function planWorkbookAttachment(
  workbookPath: string,
  maxBytes: number,
): Promise<AttachmentPlan> {
  const filename = path.basename(workbookPath);
  const size = (await stat(workbookPath)).size;
  if (size <= maxBytes) return { filename, path: workbookPath, contentType: XLSX };
  const zip = new JSZip();
  zip.file(filename, await readFile(workbookPath));
  const zipped = await zip.generateAsync({
    type: "nodebuffer",
    compression: "DEFLATE",
    compressionOptions: { level: 9 },
  });
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  if (zipped.length <= maxBytes) {
    return {
      filename: `${filename}.zip`,
      content: zipped,
      contentType: "application/zip",
      note: `The workbook (${mb(size)}) is attached zipped as ${filename}.zip to stay under the ${mb(maxBytes)} limit.`,
    };
  }
  return {
    filename,
    contentType: XLSX,
    note: `The workbook is too large to attach (${mb(size)}, limit ${mb(maxBytes)}); it is at ${workbookPath} on the Reclaim host.`,
  };
}
