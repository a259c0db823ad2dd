/**
 * exceljs's streaming WorksheetWriter cannot add images, so the chart is added afterwards: the
 * streamed workbook is copied entry by entry into a new zip (yauzl reads, yazl writes), with the
 * few small parts that change (one sheet's XML and rels, the content types) edited on the way and
 * the drawing and picture added. Large entries (the Dormant accounts sheet) are streamed through,
 * never held in memory, so the copy costs time in proportion to the workbook but no memory.
 */
import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import type { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { pipeline } from "node:stream/promises";
import yauzl from "yauzl";
import yazl from "yazl";
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
 * Adds `png` as a picture on worksheet `sheetIndex` (1-based, i.e. xl/worksheets/sheetN.xml),
 * replacing `file` by the new zip (written under a unique temporary name, then renamed).
 * @throws the first error of the copy (a corrupt input, a failed write); `file` is left as it
 *   was and the temporary file is removed
 */
export async function addImageToXlsx(
  file: string,
  sheetIndex: number,
  png: Buffer,
  anchor: ImageAnchor,
): Promise<void> {
  const sheetPath = `xl/worksheets/sheet${sheetIndex}.xml`;
  const relsPath = `xl/worksheets/_rels/sheet${sheetIndex}.xml.rels`;
  const tmp = tempPathFor(file);
  const source = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false });
  const target = new yazl.ZipFile();
  // The first failure anywhere in the copy: yazl reports some as 'error' events on the zip
  // (not on its output), and never listens to the entry streams it is given.
  let fail: (error: unknown) => void = () => undefined;
  const copyFailed = new Promise<never>((_, reject) => (fail = reject));
  copyFailed.catch(() => undefined);
  target.on("error", fail);
  const entryStreams = new Set<Readable>();
  const written = pipeline(target.outputStream, createWriteStream(tmp, { flags: "wx" }));
  written.catch(() => undefined); // awaited below, or abandoned after an earlier failure
  try {
    let sawSheet = false;
    let sawRels = false;
    for await (const entry of source.eachEntry()) {
      const name = entry.fileName.replace(/^\/+/, "");
      const open = () => source.openReadStreamPromise(entry);
      if (name === sheetPath) {
        sawSheet = true;
        target.addBuffer(Buffer.from(withDrawing(await text(open()))), name);
      } else if (name === relsPath) {
        sawRels = true;
        target.addBuffer(Buffer.from(withDrawingRel(await text(open()))), name);
      } else if (name === "[Content_Types].xml") {
        target.addBuffer(Buffer.from(withDrawingTypes(await text(open()))), name);
      } else if (entry.fileName.endsWith("/")) {
        target.addEmptyDirectory(name);
      } else {
        // Lazy: yazl opens each stream only when it is that entry's turn to be written.
        target.addReadStreamLazy(name, (cb) => {
          open().then(
            (stream) => {
              entryStreams.add(stream);
              stream.on("error", fail);
              stream.on("close", () => entryStreams.delete(stream));
              cb(null, stream);
            },
            (error: unknown) => cb(error, undefined as unknown as Readable),
          );
        });
      }
    }
    if (!sawSheet) throw new Error(`workbook has no ${sheetPath}`);
    if (!sawRels) target.addBuffer(Buffer.from(withDrawingRel(EMPTY_RELS)), relsPath);
    target.addBuffer(png, "xl/media/image1.png", { compress: false });
    target.addBuffer(Buffer.from(drawingXml(anchor)), "xl/drawings/drawing1.xml");
    target.addBuffer(Buffer.from(DRAWING_RELS), "xl/drawings/_rels/drawing1.xml.rels");
    target.end();
    await Promise.race([written, copyFailed]);
    await rename(tmp, file);
  } catch (error) {
    // Ends the copy whatever state it is in: the pipeline then settles (it waited forever
    // when the loop failed before target.end()) and closes the temporary file.
    (target.outputStream as Readable).destroy();
    for (const stream of entryStreams) stream.destroy();
    await written.catch(() => undefined);
    await rm(tmp, { force: true });
    throw error;
  } finally {
    source.close();
  }
}

async function text(stream: Promise<Readable>): Promise<string> {
  return (await buffer(await stream)).toString("utf8");
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
