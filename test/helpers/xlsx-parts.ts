/**
 * Where a workbook keeps a sheet's XML: the part its workbook.xml names for the tab, through
 * the workbook's relationships (the part's number is not the tab's position).
 */
import type JSZip from "jszip";

export async function sheetPart(zip: JSZip, sheetName: string): Promise<string> {
  const workbook = await zip.file("xl/workbook.xml")!.async("string");
  const rels = await zip.file("xl/_rels/workbook.xml.rels")!.async("string");
  const escaped = sheetName.replace(/&/g, "&amp;");
  const sheet = new RegExp(`<sheet [^>]*name="${escaped}"[^>]*/>`).exec(workbook)?.[0];
  const rId = sheet && /r:id="([^"]+)"/.exec(sheet)?.[1];
  const target = rId && new RegExp(`<Relationship [^>]*Id="${rId}"[^>]*/>`).exec(rels)?.[0];
  const part = target && /Target="([^"]+)"/.exec(target)?.[1];
  if (!part) throw new Error(`no sheet named ${sheetName} in the workbook`);
  return part.startsWith("/") ? part.slice(1) : `xl/${part}`;
}

/** The XML of the sheet named `sheetName`. */
export async function sheetXml(zip: JSZip, sheetName: string): Promise<string> {
  return zip.file(await sheetPart(zip, sheetName))!.async("string");
}
