"""Fill a sheet's form fields with pypdf (a third-party tool), as an agent's
viewer would. Usage: pypdf_fill.py SRC DST VALUES.json [incremental]"""
import json
import sys

from pypdf import PdfReader, PdfWriter

src, dst, values_path = sys.argv[1:4]
incremental = len(sys.argv) > 4 and sys.argv[4] == "incremental"
values = json.load(open(values_path, encoding="utf-8"))
if incremental:
    writer = PdfWriter(src, incremental=True)
else:
    writer = PdfWriter(clone_from=PdfReader(src))
writer.update_page_form_field_values(None, values, auto_regenerate=False)
with open(dst, "wb") as out:
    writer.write(out)
