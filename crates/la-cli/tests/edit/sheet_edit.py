"""Edits a sheet with pypdf (a third-party tool) as an agent, a viewer or an
attacker would. Usage:
  sheet_edit.py fill SRC DST VALUES.json [incremental]
  sheet_edit.py strip-identity SRC DST      (the identity field removed)
  sheet_edit.py blank-identity SRC DST      (the identity field's value emptied)
  sheet_edit.py rename SRC DST FROM TO      (a lead's parent field renamed)
  sheet_edit.py shadow SRC DST CODE FIELD VALUE
      (a widget-less copy of CODE.FIELD with VALUE, placed first in /Fields)
"""
import json
import sys

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

IDENTITY = "sheet_identity"


def fields(writer):
    return writer._root_object["/AcroForm"]["/Fields"]


def top(writer, name):
    for ref in fields(writer):
        if ref.get_object().get("/T") == name:
            return ref
    raise SystemExit(f"no field {name}")


def main():
    cmd, src, dst, *rest = sys.argv[1:]
    if cmd == "fill":
        values = json.load(open(rest[0], encoding="utf-8"))
        if rest[1:] == ["incremental"]:
            writer = PdfWriter(src, incremental=True)
        else:
            writer = PdfWriter(clone_from=PdfReader(src))
        writer.update_page_form_field_values(None, values, auto_regenerate=False)
    else:
        writer = PdfWriter(clone_from=PdfReader(src))
    if cmd == "strip-identity":
        ref = top(writer, IDENTITY)
        fields(writer).remove(ref)
    elif cmd == "blank-identity":
        top(writer, IDENTITY).get_object()[NameObject("/V")] = TextStringObject("")
    elif cmd == "rename":
        top(writer, rest[0]).get_object()[NameObject("/T")] = TextStringObject(rest[1])
    elif cmd == "shadow":
        code, field, value = rest
        kid = DictionaryObject({
            NameObject("/T"): TextStringObject(field),
            NameObject("/FT"): NameObject("/Tx"),
            NameObject("/V"): TextStringObject(value),
        })
        kid_ref = writer._add_object(kid)
        parent = DictionaryObject({
            NameObject("/T"): TextStringObject(code),
            NameObject("/Kids"): ArrayObject([kid_ref]),
        })
        parent_ref = writer._add_object(parent)
        kid[NameObject("/Parent")] = parent_ref
        fields(writer).insert(0, parent_ref)
    elif cmd != "fill":
        raise SystemExit(f"unknown command {cmd}")
    with open(dst, "wb") as out:
        writer.write(out)


main()
