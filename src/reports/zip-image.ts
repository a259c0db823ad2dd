/**
 * exceljs's streaming WorksheetWriter cannot add images, so the chart is added afterwards: the
 * streamed workbook is re-zipped with a drawing on one sheet. Entries that are not touched
 * (the large sheet XML) keep their compressed bytes and pass through unchanged.
 */
import { createWriteStream } from "node:fs";
import { readFile, rename } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import JSZip from "jszip";

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

/** Adds `png` as a picture on worksheet `sheetIndex` (1-based, i.e. xl/worksheets/sheetN.xml). */
export async function addImageToXlsx(
  file: string,
  sheetIndex: number,
  png: Buffer,
  anchor: ImageAnchor,
): Promise<void> {
  const zip = await JSZip.loadAsync(await readFile(file));
  const sheetPath = `xl/worksheets/sheet${sheetIndex}.xml`;
  const relsPath = `xl/worksheets/_rels/sheet${sheetIndex}.xml.rels`;
  const sheet = await zip.file(sheetPath)?.async("string");
  if (sheet === undefined) throw new Error(`workbook has no ${sheetPath}`);

  let rels =
    (await zip.file(relsPath)?.async("string")) ??
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>`;
  let n = 1;
  while (rels.includes(`Id="rIdImg${n}"`)) n++;
  const relId = `rIdImg${n}`;
  rels = rels.replace(
    "</Relationships>",
    `<Relationship Id="${relId}" Type="${REL_DRAWING}" Target="../drawings/drawing1.xml"/></Relationships>`,
  );

  let xml = sheet;
  if (!/<worksheet[^>]*xmlns:r=/.test(xml)) {
    xml = xml.replace(
      "<worksheet",
      '<worksheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"',
    );
  }
  // CT_Worksheet order: <drawing> comes before legacyDrawing, tableParts and extLst.
  const drawing = `<drawing r:id="${relId}"/>`;
  const before = /<(legacyDrawing|legacyDrawingHF|picture|oleObjects|controls|webPublishItems|tableParts|extLst)\b/.exec(
    xml,
  );
  xml =
    before === null
      ? xml.replace("</worksheet>", `${drawing}</worksheet>`)
      : `${xml.slice(0, before.index)}${drawing}${xml.slice(before.index)}`;

  let types = await zip.file("[Content_Types].xml")?.async("string");
  if (types === undefined) throw new Error("workbook has no [Content_Types].xml");
  if (!/Extension="png"/.test(types)) {
    types = types.replace("<Default ", '<Default Extension="png" ContentType="image/png"/><Default ');
  }
  types = types.replace(
    "</Types>",
    '<Override PartName="/xl/drawings/drawing1.xml" ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/></Types>',
  );

  zip.file(sheetPath, xml);
  zip.file(relsPath, rels);
  zip.file("xl/media/image1.png", png);
  zip.file("xl/drawings/drawing1.xml", drawingXml(anchor));
  zip.file("xl/drawings/_rels/drawing1.xml.rels", DRAWING_RELS);
  zip.file("[Content_Types].xml", types);

  const tmp = `${file}.tmp`;
  await pipeline(
    zip.generateNodeStream({ type: "nodebuffer", streamFiles: true, compression: "DEFLATE" }),
    createWriteStream(tmp),
  );
  await rename(tmp, file);
}
