/**
 * exceljs's streaming WorksheetWriter cannot add images, so the chart is added afterwards: the
 * streamed workbook is copied into a new zip with @zip.js/zip.js, whose appendZip copies every
 * entry that does not change as it is (its compressed bytes, never inflated or deflated again),
 * while the few small parts that do change (one sheet's XML and rels, the content types) are
 * replaced and the drawing and picture added. The copy costs about what copying the file costs,
 * and no memory: the source is read lazily from disk (fs.openAsBlob).
 */
import { once } from "node:events";
import { createWriteStream, openAsBlob } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { Writable } from "node:stream";
import {
  BlobReader,
  TextReader,
  TextWriter,
  Uint8ArrayReader,
  ZipReader,
  ZipWriter,
} from "@zip.js/zip.js";
import { tempPathFor } from "../shared/storage.ts";

export interface ImageAnchor {
  /** 0-based column and row of the top-left corner. */
  col: number;
  row: number;
  widthPx: number;
  heightPx: number;
}

const EMU_PER_PX = 9525;

function drawingXml(a: ImageAnchor): string {
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><xdr:oneCellAnchor><xdr:from><xdr:col>${a.col}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>${a.row}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:ext cx="${a.widthPx * EMU_PER_PX}" cy="${a.heightPx * EMU_PER_PX}"/><xdr:pic><xdr:nvPicPr><xdr:cNvPr id="2" name="Dormant seats chart" descr="Dormant seats per product and trend"/><xdr:cNvPicPr><a:picLocks noChangeAspect="1"/></xdr:cNvPicPr></xdr:nvPicPr><xdr:blipFill><a:blip xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:embed="rId1"/><a:stretch><a:fillRect/></a:stretch></xdr:blipFill><xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="${a.widthPx * EMU_PER_PX}" cy="${a.heightPx * EMU_PER_PX}"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:pic><xdr:clientData/></xdr:oneCellAnchor></xdr:wsDr>`;
}

const DRAWING_RELS = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="../media/image1.png"/></Relationships>`;

const REL_DRAWING = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing";

/**
 * zip.js runs its codecs in this thread (a worker would only add start-up cost here), and puts
 * sizes in the local headers of what it adds: SheetJS misreads its data descriptors.
 */
const ZIP_OPTIONS = { useWebWorkers: false, dataDescriptor: false } as const;

const name = (fileName: string) => fileName.replace(/^\/+/, "");

/**
 * Adds `png` as a picture on the worksheet whose part is xl/worksheets/sheet`partNumber`.xml
 * (exceljs numbers parts by sheet id, which is not always the tab's position),
 * replacing `file` only once the new one is complete. Throws when the file is not a workbook
 * with that sheet or cannot be read or written; the temporary file is removed then.
 */
export async function addImageToXlsx(
  file: string,
  partNumber: number,
  png: Buffer,
  anchor: ImageAnchor,
): Promise<void> {
  const sheetPath = `xl/worksheets/sheet${partNumber}.xml`;
  const relsPath = `xl/worksheets/_rels/sheet${partNumber}.xml.rels`;
  const typesPath = "[Content_Types].xml";
  const tmp = tempPathFor(file); // unique: two processes never share one
  const source = await openAsBlob(file);
  const reader = new ZipReader(new BlobReader(source), ZIP_OPTIONS);
  let out: ReturnType<typeof createWriteStream> | undefined;
  try {
    const entries = new Map((await reader.getEntries()).map((e) => [name(e.filename), e]));
    const text = async (path: string): Promise<string | undefined> => {
      const entry = entries.get(path);
      return entry && !entry.directory ? entry.getData(new TextWriter()) : undefined;
    };
    const sheet = await text(sheetPath);
    const types = await text(typesPath);
    if (sheet === undefined || types === undefined) {
      throw new Error(`${file} is not a workbook with ${sheetPath}`);
    }
    const replaced = new Map([
      [sheetPath, withDrawing(sheet)],
      [relsPath, withDrawingRel((await text(relsPath)) ?? EMPTY_RELS)],
      [typesPath, withDrawingTypes(types)],
    ]);
    out = createWriteStream(tmp, { flags: "wx" });
    const writer = new ZipWriter(Writable.toWeb(out), ZIP_OPTIONS);
    await writer.appendZip(new BlobReader(source), {
      filter: (entry) => !replaced.has(name(entry.filename)),
    });
    for (const [path, xml] of replaced) await writer.add(path, new TextReader(xml));
    await writer.add("xl/media/image1.png", new Uint8ArrayReader(png), { level: 0 });
    await writer.add("xl/drawings/drawing1.xml", new TextReader(drawingXml(anchor)));
    await writer.add("xl/drawings/_rels/drawing1.xml.rels", new TextReader(DRAWING_RELS));
    await writer.close();
    if (!out.closed) await once(out, "close");
    await rename(tmp, file);
  } catch (error) {
    out?.destroy();
    await rm(tmp, { force: true });
    throw error;
  } finally {
    await reader.close();
  }
}

const DRAWING_REL_ID = "rIdReclaimChart";
const EMPTY_RELS = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>`;

function withDrawingRel(rels: string): string {
  return rels.replace(
    "</Relationships>",
    `<Relationship Id="${DRAWING_REL_ID}" Type="${REL_DRAWING}" Target="../drawings/drawing1.xml"/></Relationships>`,
  );
}

function withDrawing(sheet: string): string {
  let xml = sheet;
  if (!/<worksheet[^>]*xmlns:r=/.test(xml)) {
    xml = xml.replace(
      "<worksheet",
      '<worksheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"',
    );
  }
  // CT_Worksheet order: <drawing> comes before legacyDrawing, picture, tableParts and extLst.
  const drawing = `<drawing r:id="${DRAWING_REL_ID}"/>`;
  const before =
    /<(legacyDrawing|legacyDrawingHF|picture|oleObjects|controls|webPublishItems|tableParts|extLst)\b/.exec(
      xml,
    );
  return before === null
    ? xml.replace("</worksheet>", `${drawing}</worksheet>`)
    : `${xml.slice(0, before.index)}${drawing}${xml.slice(before.index)}`;
}

function withDrawingTypes(types: string): string {
  let xml = types;
  if (!/Extension="png"/.test(xml)) {
    xml = xml.replace("<Default ", '<Default Extension="png" ContentType="image/png"/><Default ');
  }
  return xml.replace(
    "</Types>",
    '<Override PartName="/xl/drawings/drawing1.xml" ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/></Types>',
  );
}
