"""PDFium (Chrome's PDF engine, through pypdfium2) and MuPDF (through
PyMuPDF) on a sheet, for la-pdf's tests.

    python engines.py text FILE            {"pdfium": text, "mupdf": text}
    python engines.py pdfium-type FILE OUT VALUES.json
        types each value into its field as Chrome does (focus, replace the
        selection, leave), saves OUT, and prints, per field, what PDFium drew
        in its appearance: [{"field", "font", "text"}], the text read back
        through the drawing font's ToUnicode map
"""
import ctypes
import json
import re
import sys

import pypdfium2 as pdfium
import pypdfium2.raw as raw


def text(path):
    import pymupdf

    doc = pdfium.PdfDocument(path)
    out = {"pdfium": "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))}
    out["mupdf"] = "\n".join(page.get_text() for page in pymupdf.open(path))
    return out


def field_name(form, annot):
    n = raw.FPDFAnnot_GetFormFieldName(form, annot, None, 0)
    buf = (ctypes.c_ushort * (n // 2))()
    raw.FPDFAnnot_GetFormFieldName(form, annot, buf, n)
    return bytes(buf)[: n - 2].decode("utf-16-le")


def pdfium_type(path, out, values):
    doc = pdfium.PdfDocument(path)
    doc.init_forms()
    form = doc.formenv.raw
    for i in range(len(doc)):
        page = doc[i]
        for k in range(raw.FPDFPage_GetAnnotCount(page.raw)):
            annot = raw.FPDFPage_GetAnnot(page.raw, k)
            name = field_name(form, annot)
            if name in values:
                raw.FORM_SetFocusedAnnot(form, annot)
                data = (values[name] + "\0").encode("utf-16-le")
                raw.FORM_ReplaceSelection(form, page.raw, (ctypes.c_ushort * (len(data) // 2)).from_buffer_copy(data))
                raw.FORM_ForceToKillFocus(form)
            raw.FPDFPage_CloseAnnot(annot)
    doc.save(out)
    return drawn(out, values)


def to_unicode(font):
    """A font's ToUnicode map: code (bytes) -> text."""
    cmap = font.get("/ToUnicode")
    if cmap is None:
        return {}
    data = cmap.get_object().get_data().decode("latin-1")
    out = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[bytes.fromhex(src)] = bytes.fromhex(dst).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            start, first = int(lo, 16), int(dst, 16)
            for code in range(start, int(hi, 16) + 1):
                out[code.to_bytes(len(lo) // 2, "big")] = chr(first + code - start)
    return out


def drawn(path, values):
    """What each field of `values` shows in its appearance stream."""
    import pypdf
    from pypdf.generic import ContentStream

    reader = pypdf.PdfReader(path)
    result = []
    for page in reader.pages:
        for ref in page.get("/Annots", []):
            annot = ref.get_object()
            parent = annot.get("/Parent")
            name = (parent.get_object()["/T"] + "." if parent else "") + annot.get("/T", "")
            if name not in values:
                continue
            ap = annot["/AP"]["/N"].get_object()
            fonts = ap.get("/Resources", {}).get("/Font", {})
            shown, font_names, current = [], set(), None
            for operands, op in ContentStream(ap, reader).operations:
                if op == b"Tf":
                    current = fonts[operands[0]].get_object()
                    font_names.add(str(current.get("/BaseFont")))
                elif op in (b"Tj", b"TJ") and current is not None:
                    strings = operands[0] if op == b"TJ" else [operands[0]]
                    umap = to_unicode(current)
                    width = 2 if current.get("/Subtype") == "/Type0" else 1
                    for s in strings:
                        if isinstance(s, (int, float)):
                            continue
                        b = s.get_original_bytes() if hasattr(s, "get_original_bytes") else bytes(s)
                        # pypdf took the codes for UTF-16 and added a byte order mark.
                        if getattr(s, "autodetect_utf16", False) and b.startswith(b"\xfe\xff"):
                            b = b[2:]
                        shown.append("".join(umap.get(b[i : i + width], "\ufffd") for i in range(0, len(b), width)))
            result.append({"field": name, "fonts": sorted(font_names), "text": shown})
    return result


def main():
    mode = sys.argv[1]
    if mode == "text":
        print(json.dumps(text(sys.argv[2]), ensure_ascii=False))
    elif mode == "pdfium-type":
        with open(sys.argv[4], encoding="utf-8") as f:
            values = json.load(f)
        print(json.dumps(pdfium_type(sys.argv[2], sys.argv[3], values), ensure_ascii=False))
    else:
        sys.exit("usage: engines.py text FILE | pdfium-type FILE OUT VALUES.json")


if __name__ == "__main__":
    main()
