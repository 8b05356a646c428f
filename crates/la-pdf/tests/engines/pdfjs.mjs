// pdf.js (Firefox's PDF engine) on a sheet, for la-pdf's tests.
//   node pdfjs.mjs text  FILE         every page's text, as pdf.js extracts it
//   node pdfjs.mjs print FILE [JSON]  per page, the widgets pdf.js draws when
//                                     printing (with the values in JSON typed
//                                     in) and, per field, the text it draws
// The pdfjs-dist package is found through NODE_PATH (scripts/install-test-deps
// puts it in target/ci-node).
import fs from "fs";
import { createRequire } from "module";

const require = createRequire(import.meta.url);
const pdfjs = await import(require.resolve("pdfjs-dist/legacy/build/pdf.mjs", {
  paths: (process.env.NODE_PATH || "").split(":"),
}));

const [mode, file, valuesFile] = process.argv.slice(2);
const data = new Uint8Array(fs.readFileSync(file));
const doc = await pdfjs.getDocument({ data, verbosity: 0, useSystemFonts: false }).promise;

if (mode === "text") {
  const pages = [];
  for (let i = 1; i <= doc.numPages; i++) {
    const tc = await (await doc.getPage(i)).getTextContent();
    pages.push(tc.items.map((it) => it.str + (it.hasEOL ? "\n" : "")).join(""));
  }
  process.stdout.write(pages.join("\n"));
} else if (mode === "print") {
  const values = valuesFile ? JSON.parse(fs.readFileSync(valuesFile, "utf8")) : {};
  const byName = await doc.getFieldObjects();
  for (const [name, value] of Object.entries(values)) {
    for (const f of byName[name] || []) doc.annotationStorage.setValue(f.id, { value });
  }
  const out = { pages: [] };
  for (let i = 1; i <= doc.numPages; i++) {
    const page = await doc.getPage(i);
    const annots = (await page.getAnnotations({ intent: "print" })).filter(
      (a) => a.subtype === "Widget" && !a.hidden && a.rect[2] > a.rect[0]);
    const ops = await page.getOperatorList({
      intent: "print",
      annotationMode: pdfjs.AnnotationMode.ENABLE_STORAGE,
    });
    const drawn = {};
    let current = null;
    for (let k = 0; k < ops.fnArray.length; k++) {
      const fn = ops.fnArray[k];
      if (fn === pdfjs.OPS.beginAnnotation) {
        current = ops.argsArray[k][0];
        drawn[current] = "";
      } else if (fn === pdfjs.OPS.endAnnotation) {
        current = null;
      } else if (fn === pdfjs.OPS.showText && current !== null) {
        for (const g of ops.argsArray[k][0]) {
          if (g && typeof g === "object") drawn[current] += g.unicode;
        }
      }
    }
    out.pages.push(annots.map((a) => ({
      field: a.fieldName,
      drawn: Object.prototype.hasOwnProperty.call(drawn, a.id),
      text: drawn[a.id] ?? null,
    })));
  }
  process.stdout.write(JSON.stringify(out));
} else {
  console.error("usage: pdfjs.mjs text|print FILE [VALUES.json]");
  process.exit(2);
}
